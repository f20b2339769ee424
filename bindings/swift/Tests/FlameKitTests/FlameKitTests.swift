import Foundation
import XCTest

@testable import FlameKit

/// The quickstart flow through the generated Swift bindings, on an SQLite file in a temporary
/// directory: sign-up, members, contacts, deals moved/won/lost, typed errors, health, and the
/// other aggregates (sources, activities, company, billing, plans, events).
final class FlameKitTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func openStore() async throws -> Flame {
        try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("crm.db").path)")
    }

    private func signUp(_ flame: Flame, _ company: String, _ email: String) async throws -> SignedUp {
        try await flame.signUp(
            input: SignUp(companyName: company, ownerEmail: email, ownerName: "Olga Owner"))
    }

    /// Runs `body`, expecting it to throw a `FlameError`, and returns that error.
    private func flameError<T>(_ body: () async throws -> T, line: UInt = #line) async -> FlameError? {
        do {
            _ = try await body()
            XCTFail("expected a FlameError", line: line)
        } catch let error as FlameError {
            return error
        } catch {
            XCTFail("expected a FlameError, got \(error)", line: line)
        }
        return nil
    }

    /// The field of a `Validation` error, the entity of a `NotFound` or `Conflict` (else nil).
    private func field(_ error: FlameError?) -> String? {
        if case .Validation(let field, _) = error { return field }
        return nil
    }

    private func entity(_ error: FlameError?) -> String? {
        switch error {
        case .NotFound(let entity)?: return entity
        case .Conflict(let entity, _)?: return entity
        case .InvalidTransition(let entity, _, _, _)?: return entity
        default: return nil
        }
    }

    /// A store whose default plan has no limits, so that one company can hold many integrations.
    private func unlimitedStore(_ name: String) async throws -> Flame {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent(name).path)")
        let big = try await flame.plans().create(
            input: NewPlan(code: "big", name: "Big", priceMinor: 0, currency: "USD", interval: .month, trialDays: 30,
                           limits: PlanLimits(), public: false))
        _ = try await flame.plans().setDefault(id: big.id)
        return flame
    }

    func testQuickstartFlow() async throws {
        let flame = try await openStore()
        XCTAssertEqual(flame.backend(), "sqlite")

        let signed = try await signUp(flame, "Acme Robotics", "olga@acme.test")
        let owner = signed.session
        XCTAssertEqual(signed.company.name, "Acme Robotics")
        XCTAssertEqual(signed.owner.email, "olga@acme.test")
        XCTAssertEqual(owner.role(), .owner)

        let manager = try await owner.members().add(
            input: NewMember(email: "max@acme.test", name: "Max Manager", role: .manager))
        XCTAssertEqual(manager.membership.role, .manager)

        let contacts = owner.contacts()
        let engines = try await owner.organizations().create(
            input: NewOrganization(name: "Analytical Engines Ltd"))
        let ada = try await contacts.create(
            input: NewContact(
                firstName: "Ada", lastName: "Lovelace", email: "Ada@Analytical.Engines",
                phone: "+44 20 7946 0958", organizationId: engines.id))
        XCTAssertEqual(ada.email, "ada@analytical.engines")
        XCTAssertEqual(ada.phone, "+442079460958")
        let ivan = try await contacts.create(
            input: NewContact(
                firstName: "Ivan", lastName: "Petrov", phone: "8 (912) 345-67-89",
                phoneRegion: "RU", ownerId: manager.user.id))
        XCTAssertEqual(ivan.phone, "+79123456789")
        let listed = try await contacts.list()
        XCTAssertEqual(listed.items.count, 2)

        let babbage = try await owner.organizations().create(input: NewOrganization(name: "Babbage & Co"))
        let updated = try await contacts.update(
            id: ada.id, version: ada.version, patch: ContactPatch(organizationId: babbage.id))
        XCTAssertEqual(updated.organizationId, babbage.id)
        let stale = await flameError {
            try await contacts.update(id: ada.id, version: ada.version, patch: ContactPatch(firstName: "X"))
        }
        guard case .Conflict(let entity, _) = stale else { return XCTFail("\(String(describing: stale))") }
        XCTAssertEqual(entity, "contact")

        let pipelines = owner.pipelines()
        let pipeline = try await pipelines.defaultPipeline()
        let stages = try await pipelines.stages(id: pipeline.id)
        XCTAssertEqual(stages.map(\.name), ["New", "Qualified", "Proposal", "Won", "Lost"])
        func stage(_ name: String) -> String { stages.first { $0.name == name }!.id }

        let deals = owner.deals()
        var robot = try await deals.create(
            input: NewDeal(
                title: "Twelve welding robots", amountMinor: 1_250_000_00, currency: "USD",
                contactId: ada.id, expectedClose: "2027-03-31"))
        XCTAssertEqual(robot.value, Money(amountMinor: 1_250_000_00, currency: "USD"))
        XCTAssertEqual(robot.status, .open)
        XCTAssertEqual(robot.expectedClose, "2027-03-31")
        var arm = try await deals.create(
            input: NewDeal(
                title: "Painting arm", amountMinor: 480_000_00, currency: "RUB", contactId: ivan.id,
                assigneeId: manager.user.id))
        var pilot = try await deals.create(
            input: NewDeal(title: "Pilot installation", amountMinor: 75_000_00, currency: "USD", contactId: ada.id))

        robot = try await deals.moveToStage(id: robot.id, stageId: stage("Qualified"), version: robot.version)
        robot = try await deals.moveToStage(id: robot.id, stageId: stage("Proposal"), version: robot.version)
        robot = try await deals.win(id: robot.id, version: robot.version)
        XCTAssertEqual(robot.status, .won)
        XCTAssertNotNil(robot.closedAt)
        arm = try await deals.moveToStage(id: arm.id, stageId: stage("Qualified"), version: arm.version)
        arm = try await deals.lose(id: arm.id, reason: "Chose a local integrator", version: arm.version)
        XCTAssertEqual(arm.status, .lost)
        XCTAssertEqual(arm.lostReason, "Chose a local integrator")
        pilot = try await deals.moveToStage(id: pilot.id, stageId: stage("Proposal"), version: pilot.version)
        XCTAssertEqual(pilot.status, .open)

        let refused = await flameError {
            try await deals.moveToStage(id: robot.id, stageId: stage("New"), version: robot.version)
        }
        guard case .InvalidTransition(let what, let fromState, let toState, _) = refused else {
            return XCTFail("\(String(describing: refused))")
        }
        XCTAssertEqual(what, "deal")
        XCTAssertEqual(fromState, "won")
        XCTAssertEqual(toState, "open")

        let won = try await deals.list(filter: DealFilter(status: .won))
        XCTAssertEqual(won.items.map(\.id), [robot.id])
        let firstPage = try await deals.list(page: PageRequest(limit: 2))
        XCTAssertEqual(firstPage.items.count, 2)
        let rest = try await deals.list(page: PageRequest(limit: 2, cursor: firstPage.nextCursor))
        XCTAssertEqual(rest.items.count, 1)
        XCTAssertNil(rest.nextCursor)

        let summary = try await pipelines.summary(id: pipeline.id)
        let proposal = summary.first { $0.stage.name == "Proposal" }!
        XCTAssertEqual(proposal.dealCount, 1)
        XCTAssertEqual(proposal.totals, [Money(amountMinor: 75_000_00, currency: "USD")])

        let health = await flame.health()
        XCTAssertEqual(health.backend, "sqlite")
        XCTAssertTrue(health.reachable)
        XCTAssertTrue(health.schemaMatches)
        XCTAssertEqual(health.schemaVersion, health.expectedSchemaVersion)
        XCTAssertFalse(health.encryptionConfigured)
        XCTAssertEqual(health.counts?.users, 2)
        XCTAssertEqual(health.counts?.companies, 1)
        XCTAssertEqual(health.counts?.contacts, 2)
        XCTAssertEqual(health.counts?.deals, 3)
        await flame.shutdown()
    }

    func testErrorsArriveTyped() async throws {
        let flame = try await openStore()
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let globex = try await signUp(flame, "Globex", "hank@globex.test")

        let stranger = await flameError {
            try await flame.session(userId: UUID().uuidString.lowercased(), companyId: acme.company.id)
        }
        guard case .Unauthenticated(let reason) = stranger else {
            return XCTFail("\(String(describing: stranger))")
        }
        XCTAssertFalse(reason.isEmpty)
        let again = try await flame.session(userId: acme.owner.id, companyId: acme.company.id)
        XCTAssertEqual(again.role(), .owner)

        let bad = await flameError {
            try await acme.session.contacts().create(input: NewContact(firstName: "Bob", email: "not-an-email"))
        }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "email")

        let theirs = try await globex.session.contacts().create(input: NewContact(firstName: "Hank"))
        let hidden = await flameError { try await acme.session.contacts().get(id: theirs.id) }
        XCTAssertEqual(hidden, .NotFound(entity: "contact"))

        let malformed = await flameError { try await acme.session.deals().get(id: "nope") }
        guard case .Validation(let idField, _) = malformed else {
            return XCTFail("\(String(describing: malformed))")
        }
        XCTAssertEqual(idField, "id")

        let viewer = try await acme.session.members().add(
            input: NewMember(email: "vic@acme.test", name: "Vic Viewer", role: .viewer))
        let viewerSession = try await flame.session(userId: viewer.user.id, companyId: acme.company.id)
        let forbidden = await flameError {
            try await viewerSession.contacts().create(input: NewContact(firstName: "Nope"))
        }
        guard case .Forbidden = forbidden else { return XCTFail("\(String(describing: forbidden))") }

        let principal = viewerSession.principal()
        XCTAssertEqual(principal.role, .viewer)
        XCTAssertEqual(principal.credentialKind, .session)
        XCTAssertGreaterThan(principal.expiresAt, Date())
        let token = try XCTUnwrap(viewerSession.token()).expose()
        let resumed = try await flame.authenticate(token: token)
        XCTAssertEqual(resumed.userId(), viewer.user.id)
        try await viewerSession.logout()
        let loggedOut = await flameError { try await flame.authenticate(token: token) }
        guard case .Unauthenticated = loggedOut else { return XCTFail("\(String(describing: loggedOut))") }

        let url = await flameError { try await Flame.open(url: "mysql://x") }
        XCTAssertEqual(url, .Validation(field: "url", reason: "must be sqlite://PATH, sqlite::memory: or postgres://…"))
        await flame.shutdown()
    }

    func testKeyRotationSkipsACredentialNoKeyOpens() async throws {
        let url = "sqlite://\(dir.appendingPathComponent("rotation.db").path)"
        let lost = try EncryptionKey.fromBytes(id: "lost", bytes: Data(repeating: 5, count: 32))
        let old = try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 6, count: 32))
        let telegram = IntegrationSettings.messaging(
            platform: .telegram, autoCreateContact: true, autoCreateDeal: false, defaultSourceId: nil,
            defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil)
        let first = try await Flame.open(url: url, options: OpenOptions(encryptionKey: lost))
        let acme = try await signUp(first, "Acme", "olga@acme.test")
        let orphan = try await acme.session.integrations().create(
            name: "Orphan", settings: telegram, credentials: ["token": "o"])
        await first.shutdown()
        let second = try await Flame.open(url: url, options: OpenOptions(encryptionKey: old))
        let bot = try await second.session(userId: acme.owner.id, companyId: acme.company.id).integrations().create(
            name: "Bot", settings: telegram, credentials: ["token": "b"])
        await second.shutdown()
        let newKey = try EncryptionKey.fromBytes(id: "k2", bytes: Data(repeating: 8, count: 32))
        let rotated = try await Flame.open(url: url, options: OpenOptions(encryptionKey: newKey, previousKeys: [old]))
        let done = try await rotated.rotateKeys(batch: 1)
        XCTAssertEqual(done.resealed, 1)
        XCTAssertEqual(done.remaining, 1)
        XCTAssertEqual(done.skipped, [orphan.id])
        let s = try await rotated.session(userId: acme.owner.id, companyId: acme.company.id)
        let token = try await s.integrations().credential(id: bot.id, field: "token")
        XCTAssertEqual(token.expose(), "b")
        await rotated.shutdown()
    }

    func testAnExistingUserIsNotAddedWithoutConsent() async throws {
        let flame = try await openStore()
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let evil = try await signUp(flame, "Evil", "mallory@evil.test")
        let taken = await flameError {
            try await evil.session.members().add(input: NewMember(email: "olga@acme.test", name: "Olga", role: .admin))
        }
        guard case .Conflict(let entity, _) = taken else { return XCTFail("\(String(describing: taken))") }
        XCTAssertEqual(entity, "email")
        let members = try await evil.session.members().list()
        XCTAssertEqual(members.items.count, 1)
        let invite = try await evil.session.invitations().create(input: NewInvitation(email: "olga@acme.test", role: .admin))
        let joined = try await acme.session.account().acceptInvitation(token: invite.token.expose())
        XCTAssertEqual(joined.companyId(), evil.company.id)
        XCTAssertEqual(joined.role(), .admin)
        await flame.shutdown()
    }

    func testOtherAggregates() async throws {
        let flame = try await openStore()
        let signed = try await signUp(flame, "Acme", "olga@acme.test")
        let session = signed.session

        let sources = session.sources()
        let before = try await sources.list()
        XCTAssertFalse(before.isEmpty)
        let fair = try await sources.create(name: "Trade fair")
        let after = try await sources.list()
        XCTAssertEqual(after.count, before.count + 1)

        let ada = try await session.contacts().create(input: NewContact(firstName: "Ada"))
        let deal = try await session.deals().create(
            input: NewDeal(title: "Robots", amountMinor: 100, currency: "EUR", contactId: ada.id, sourceId: fair.id))
        XCTAssertEqual(deal.sourceId, fair.id)
        let activities = session.activities()
        let note = try await activities.create(input: NewActivity(kind: .note, body: "Met at the fair", contactId: ada.id))
        XCTAssertEqual(note.kind, .note)
        let task = try await activities.create(
            input: NewActivity(
                kind: .task, body: "Send the quote", subject: "Quote", dealId: deal.id,
                dueAt: Date().addingTimeInterval(3600)))
        XCTAssertNil(task.doneAt)
        let done = try await activities.complete(id: task.id, version: task.version)
        XCTAssertNotNil(done.doneAt)
        let all = try await activities.list()
        XCTAssertEqual(all.items.count, 2)

        let company = try await session.company().get()
        XCTAssertEqual(company.name, "Acme")
        let subscription = try await session.billing().subscription()
        XCTAssertEqual(subscription.status, .trialing)
        let plan = try await session.billing().plan()
        XCTAssertEqual(plan.id, subscription.planId)
        let plans = try await flame.plans().list()
        XCTAssertTrue(plans.contains { $0.id == plan.id && $0.isDefault })

        let events = try await session.events().list()
        let types = Set(events.items.map(\.eventType))
        XCTAssertTrue(types.isSuperset(of: ["company.created", "contact.created", "deal.created"]), "\(types)")
        await flame.shutdown()
    }

    func testAccounts() async throws {
        let path = dir.appendingPathComponent("accounts.db").path
        let flame = try await Flame.open(url: "sqlite://\(path)")
        let password = "correct horse battery"
        let acme = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga"),
            password: password)
        let acmeMail = try await flame.emailVerification(userId: acme.owner.id)
        _ = try await flame.verifyEmail(token: acmeMail.token.expose())

        let session = try await flame.login(email: "olga@acme.test", password: password)
        XCTAssertEqual(session.userId(), acme.owner.id)
        let wrong = await flameError { try await flame.login(email: "olga@acme.test", password: "wrong horse battery") }
        let unknown = await flameError { try await flame.login(email: "nobody@acme.test", password: password) }
        guard case .Unauthenticated(let a) = wrong, case .Unauthenticated(let b) = unknown else {
            return XCTFail("\(String(describing: wrong)) \(String(describing: unknown))")
        }
        XCTAssertEqual(a, b, "one answer for every failure")

        // A read-only API token reads but cannot write; its secret prints nothing.
        let created = try await acme.session.apiTokens().create(input: NewApiToken(name: "reports", scope: .readOnly))
        let secret = created.secret.expose()
        XCTAssertTrue(secret.hasPrefix("flame_api_"))
        XCTAssertFalse(String(describing: created).contains(secret))
        let reader = try await flame.authenticate(token: secret)
        XCTAssertEqual(reader.principal().scope, .readOnly)
        let refused = await flameError { try await reader.contacts().create(input: NewContact(firstName: "Ada")) }
        guard case .Forbidden = refused else { return XCTFail("\(String(describing: refused))") }

        // Invitations and ownership.
        let invite = try await acme.session.invitations().create(input: NewInvitation(email: "nina@acme.test", role: .admin))
        let nina = try await flame.acceptInvitation(token: invite.token.expose(), name: "Nina", password: "nina's own password")
        XCTAssertEqual(nina.role(), .admin)
        let again = await flameError { try await flame.acceptInvitation(token: invite.token.expose(), name: "Nina", password: nil) }
        guard case .Unauthenticated = again else { return XCTFail("\(String(describing: again))") }
        let member = try await acme.session.members().transferOwnership(to: nina.userId())
        XCTAssertEqual(member.membership.role, .owner)

        // Platform administration.
        let notAdmin = await flameError { try await nina.platform().users() }
        guard case .Forbidden = notAdmin else { return XCTFail("\(String(describing: notAdmin))") }
        _ = try await flame.setPlatformAdmin(userId: acme.owner.id, admin: true)
        let users = try await acme.session.platform().users()
        XCTAssertEqual(users.items.count, 2)

        // Plan limits and the read-only company.
        let tiny = try await flame.plans().create(
            input: NewPlan(
                code: "tiny", name: "Tiny", priceMinor: 0, currency: "EUR", interval: .month, trialDays: 14,
                limits: PlanLimits(contacts: 1), public: true))
        _ = try await flame.plans().setDefault(id: tiny.id)
        let small = try await flame.signUp(input: SignUp(companyName: "Small", ownerEmail: "s@small.test", ownerName: "S"))
        _ = try await small.session.contacts().create(input: NewContact(firstName: "One"))
        let limit = await flameError { try await small.session.contacts().create(input: NewContact(firstName: "Two")) }
        XCTAssertEqual(limit, .PlanLimitExceeded(limit: "contacts", allowed: 1, used: 1))
        let sub = try await small.session.billing().subscription()
        _ = try await small.session.billing().cancel(version: sub.version)
        let readOnly = await flameError { try await small.session.company().rename(name: "Smaller", version: 1) }
        guard case .ReadOnly = readOnly else { return XCTFail("\(String(describing: readOnly))") }
        let revived = try await flame.subscriptions().recordPayment(
            companyId: small.company.id,
            payment: NewPayment(
                providerRef: "ch_1", outcome: .succeeded, amountMinor: 1900, currency: "EUR",
                periodEnd: Date().addingTimeInterval(30 * 86400)))
        XCTAssertEqual(revived.status, .active)
        let health = await flame.health()
        XCTAssertEqual(health.counts?.subscriptionsByStatus.active, 1)
        await flame.shutdown()
    }

    func testIntegrations() async throws {
        let url = "sqlite://\(dir.appendingPathComponent("integrations.db").path)"
        let key = try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 7, count: 32))
        let flame = try await Flame.open(url: url, options: OpenOptions(encryptionKey: key, webhookAllowLoopback: true))
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let pipeline = try await acme.session.pipelines().defaultPipeline()
        let bot = try await acme.session.integrations().create(
            name: "Sales bot",
            settings: .messaging(
                platform: .telegram, autoCreateContact: true, autoCreateDeal: true, defaultSourceId: nil,
                defaultPipelineId: pipeline.id, defaultAssigneeId: nil, dealCurrency: "RUB"),
            credentials: ["token": "123:SECRET", "secret_token": "tg-secret"])
        XCTAssertEqual(bot.credentialFields, ["secret_token", "token"])
        XCTAssertFalse(String(describing: bot).contains("SECRET"))
        let update = Data(
            """
            {"update_id": 1, "message": {"message_id": 7, "from": {"id": 42, "is_bot": false, "first_name": "Ivan"},
             "chat": {"id": 42, "type": "private"}, "date": 1441645532, "text": "How much?"}}
            """.utf8)
        let signed = ["X-Telegram-Bot-Api-Secret-Token": "tg-secret"]
        let unsigned = await flameError {
            try await flame.inbound().handleWebhook(
                companyId: acme.company.id, integrationId: bot.id, headers: [:], body: update)
        }
        guard case .Unauthenticated(let reason) = unsigned else {
            return XCTFail("\(String(describing: unsigned))")
        }
        XCTAssertTrue(reason.contains("X-Telegram-Bot-Api-Secret-Token"), reason)
        // Another secret token is refused the same way, and writes nothing.
        let wrongToken = await flameError {
            try await flame.inbound().handleWebhook(
                companyId: acme.company.id, integrationId: bot.id,
                headers: ["X-Telegram-Bot-Api-Secret-Token": "guess"], body: update)
        }
        guard case .Unauthenticated(let wrongReason) = wrongToken else {
            return XCTFail("\(String(describing: wrongToken))")
        }
        XCTAssertTrue(wrongReason.contains("does not match"), wrongReason)
        XCTAssertFalse(wrongReason.contains("guess"), wrongReason)
        let untouched = try await acme.session.contacts().list().items
        XCTAssertTrue(untouched.isEmpty)
        let first = try await flame.inbound().handleWebhook(
            companyId: acme.company.id, integrationId: bot.id, headers: signed, body: update)
        XCTAssertEqual(first.count, 1)
        XCTAssertTrue(first[0].createdContact && first[0].createdDeal)
        let again = try await flame.inbound().handleWebhook(
            companyId: acme.company.id, integrationId: bot.id, headers: signed, body: update)
        XCTAssertTrue(again[0].duplicate)
        let ssrf = await flameError {
            try await acme.session.integrations().create(
                name: "Hook", settings: .webhook(url: "http://10.0.0.1/x", events: ["deal.*"]),
                credentials: ["signing_secret": "whsec_1"])
        }
        guard case .Validation(let field, _) = ssrf else { return XCTFail("\(String(describing: ssrf))") }
        XCTAssertEqual(field, "url")
        let health = await flame.health()
        XCTAssertEqual(health.configuredKeys, ["k1"])
        let report = try await acme.session.contacts().importCsv(
            csv: Data("first_name,email\nAda,ada@example.com\nBad,not-an-email\n".utf8))
        XCTAssertEqual(report.imported, 1)
        XCTAssertEqual(report.errors.map(\.line), [3])
        XCTAssertNil(report.failed)
        let missing = await flameError {
            try await acme.session.contacts().importCsvFile(path: "/nonexistent/flame/missing.csv")
        }
        guard case .Validation(let missingField, _) = missing else {
            return XCTFail("\(String(describing: missing))")
        }
        XCTAssertEqual(missingField, "path")
        // A record too long to read stops the import; the report says where and why.
        let endless = Data(("first_name\nMargaret\n" + String(repeating: "x", count: 300_000)).utf8)
        let stopped = try await acme.session.contacts().importCsv(csv: endless)
        XCTAssertEqual(stopped.imported, 0)
        XCTAssertEqual(stopped.failed?.line, 2)
        guard case .Validation(let stoppedField, _)? = stopped.failed?.error else {
            return XCTFail("\(String(describing: stopped.failed))")
        }
        XCTAssertEqual(stoppedField, "row")
        await flame.shutdown()
    }

    func testLeadsInvoicesAndWebhooks() async throws {
        let key = try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 3, count: 32))
        let flame = try await Flame.open(
            url: "sqlite://\(dir.appendingPathComponent("marketing.db").path)",
            options: OpenOptions(encryptionKey: key, webhookAllowLoopback: true))
        let big = try await flame.plans().create(
            input: NewPlan(code: "big", name: "Big", priceMinor: 0, currency: "USD", interval: .month, trialDays: 30,
                           limits: PlanLimits(), public: false))
        _ = try await flame.plans().setDefault(id: big.id)
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let pipeline = try await acme.session.pipelines().defaultPipeline()
        let meta = try await acme.session.integrations().create(
            name: "Meta ads",
            settings: .advertising(
                platform: .meta, autoCreateDeal: true, defaultPipelineId: pipeline.id, defaultAssigneeId: nil,
                dealCurrency: "RUB"),
            credentials: ["app_secret": "meta-app-secret"])
        let lead = Data(
            #"{"created_time": "2024-11-05T16:20:01+0300", "id": "42", "field_data": [{"name": "full_name", "values": ["Anna Smirnova"]}]}"#
                .utf8)
        // Python: hmac.new(b"meta-app-secret", lead, hashlib.sha256).hexdigest()
        let signedLead = ["X-Hub-Signature-256": "sha256=1a20f8dd885ccc6bad7b4e23247bed997ed02a1b9127ae32fce6d41f9aef9aca"]
        // Unsigned or wrongly signed, the lead is refused and nothing is written.
        let unsignedLead = await flameError {
            try await flame.advertising().ingestMetaLead(
                companyId: acme.company.id, integrationId: meta.id, headers: [:], body: lead)
        }
        guard case .Unauthenticated(let leadReason) = unsignedLead else {
            return XCTFail("\(String(describing: unsignedLead))")
        }
        XCTAssertTrue(leadReason.contains("X-Hub-Signature-256"), leadReason)
        let forgedLead = await flameError {
            try await flame.advertising().ingestMetaLead(
                companyId: acme.company.id, integrationId: meta.id,
                headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64)], body: lead)
        }
        guard case .Unauthenticated = forgedLead else { return XCTFail("\(String(describing: forgedLead))") }
        let noContacts = try await acme.session.contacts().list().items
        XCTAssertTrue(noContacts.isEmpty)
        let first = try await flame.advertising().ingestMetaLead(
            companyId: acme.company.id, integrationId: meta.id, headers: signedLead, body: lead)
        XCTAssertNotNil(first.dealId)
        let again = try await flame.advertising().ingestMetaLead(
            companyId: acme.company.id, integrationId: meta.id, headers: signedLead, body: lead)
        XCTAssertTrue(again.duplicate)

        _ = try await acme.session.integrations().create(
            name: "1C", settings: .accounting(platform: .oneC, vatRateBp: 2000, vatIncluded: false, invoiceOnWon: true),
            credentials: [:])
        let ada = try await acme.session.contacts().create(input: NewContact(firstName: "Ada"))
        let deal = try await acme.session.deals().create(input: NewDeal(title: "Robots", amountMinor: 100000, currency: "USD", contactId: ada.id))
        _ = try await acme.session.deals().win(id: deal.id, version: deal.version)
        let docs = try await acme.session.accounting().documents().items
        XCTAssertEqual(docs.map(\.status), [.queued])

        // A webhook whose receiver is down: the attempt fails and the delivery stays pending.
        _ = try await acme.session.integrations().create(
            name: "Hook", settings: .webhook(url: "http://127.0.0.1:9/hook", events: ["contact.created"]),
            credentials: ["signing_secret": "whsec_test"])
        let grace = try await acme.session.contacts().create(input: NewContact(firstName: "Grace"))
        let worker = try flame.webhookWorker(options: WebhookOptions(timeout: 2, lease: 5))
        var failed: UInt64 = 0
        for _ in 0..<3 where failed == 0 { failed += try await worker.runOnce().failed }
        XCTAssertEqual(failed, 1)
        let deliveries = try await acme.session.webhookDeliveries().list().items
        XCTAssertEqual(deliveries.map(\.status), [.pending])
        XCTAssertNotNil(deliveries.first?.lastError)
        // The four fields the hand-written mirror had lost: what the event is about, and when.
        XCTAssertEqual(deliveries.first?.aggregateType, "contact")
        XCTAssertEqual(deliveries.first?.aggregateId, grace.id)
        let delivery = try XCTUnwrap(deliveries.first)
        XCTAssertLessThanOrEqual(delivery.createdAt, delivery.updatedAt)
        await flame.shutdown()
    }

    func testLeadsTheHostBuilt() async throws {
        let flame = try await unlimitedStore("leads.db")
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let globex = try await signUp(flame, "Globex", "hank@globex.test")
        let pipeline = try await acme.session.pipelines().defaultPipeline()
        let integrations = acme.session.integrations()
        let forms = try await integrations.create(
            name: "Landing forms",
            settings: .advertising(
                platform: .other, autoCreateDeal: true, defaultPipelineId: pipeline.id, defaultAssigneeId: nil,
                dealCurrency: "EUR"),
            credentials: [:])
        let meta = try await integrations.create(
            name: "Meta ads",
            settings: .advertising(
                platform: .meta, autoCreateDeal: false, defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil),
            credentials: [:])
        let bot = try await integrations.create(
            name: "Bot",
            settings: .messaging(
                platform: .telegram, autoCreateContact: true, autoCreateDeal: false, defaultSourceId: nil,
                defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil),
            credentials: [:])
        let theirs = try await globex.session.integrations().create(
            name: "Their forms",
            settings: .advertising(
                platform: .other, autoCreateDeal: false, defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil),
            credentials: [:])

        // The kind filter of the integration list.
        let advertising = try await integrations.list(kind: .advertising)
        XCTAssertEqual(advertising.map(\.id), [forms.id, meta.id])
        let messaging = try await integrations.list(kind: .messaging)
        XCTAssertEqual(messaging.map(\.id), [bot.id])
        let webhooks = try await integrations.list(kind: .webhook)
        XCTAssertTrue(webhooks.isEmpty)
        let all = try await integrations.list()
        XCTAssertEqual(all.count, 3)

        // The UTM tags of the landing page name the source; the lead opens a deal.
        let utm = try utmFromUrl(url: "https://shop.example/spring?utm_source=Instagram&utm_medium=cpc&utm_campaign=spring#top")
        XCTAssertEqual(utm, Utm(source: "Instagram", medium: "cpc", campaign: "spring"))
        let createdAt = Date(timeIntervalSince1970: 1_730_812_801)
        let lead = Lead(
            platform: .other, externalLeadId: "form-1", createdAt: createdAt, name: "Anna Smirnova",
            email: "Anna@Example.com", phone: "+7 999 123-45-67", campaign: "Spring sale", utm: utm,
            answers: [LeadAnswer(key: "budget", value: "1000 EUR")])
        let ads = flame.advertising()
        let first = try await ads.ingestLead(companyId: acme.company.id, integrationId: forms.id, lead: lead)
        XCTAssertTrue(first.createdContact)
        XCTAssertFalse(first.duplicate)
        let anna = try await acme.session.contacts().get(id: first.contactId)
        XCTAssertEqual([anna.firstName, anna.lastName, anna.email, anna.phone], ["Anna", "Smirnova", "anna@example.com", "+79991234567"])
        let source = try await acme.session.sources().get(id: first.sourceId)
        XCTAssertEqual(source.name, "Instagram")
        let deal = try await acme.session.deals().get(id: try XCTUnwrap(first.dealId))
        XCTAssertEqual(deal.value, Money(amountMinor: 0, currency: "EUR"))
        XCTAssertEqual(deal.sourceId, first.sourceId)

        // The stored lead is the deal's attribution.
        let attribution = try await acme.session.leads().ofDeal(dealId: deal.id)
        let record = try XCTUnwrap(attribution)
        XCTAssertEqual(record.id, first.leadId)
        XCTAssertEqual(record.integrationId, forms.id)
        XCTAssertEqual(record.externalId, "form-1")
        XCTAssertEqual(record.campaign, "Spring sale")
        XCTAssertEqual(record.utm, utm)
        XCTAssertEqual(record.receivedAt, createdAt)
        XCTAssertEqual([record.contactId, record.dealId, record.sourceId], [first.contactId, first.dealId, first.sourceId])
        let manual = try await acme.session.deals().create(input: NewDeal(title: "Walk-in", amountMinor: 100, currency: "EUR"))
        let noLead = try await acme.session.leads().ofDeal(dealId: manual.id)
        XCTAssertNil(noLead)
        let notTheirs = try await globex.session.leads().ofDeal(dealId: deal.id)
        XCTAssertNil(notTheirs, "another company's deal has no lead for them")

        // A redelivered lead changes nothing; a second person is a second lead, newest first.
        let again = try await ads.ingestLead(companyId: acme.company.id, integrationId: forms.id, lead: lead)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual([again.leadId, again.contactId, again.dealId], [first.leadId, first.contactId, first.dealId])
        let second = try await ads.ingestLead(
            companyId: acme.company.id, integrationId: forms.id,
            lead: Lead(platform: .other, externalLeadId: "form-2", createdAt: Date(), name: "Boris"))
        let platformSource = try await acme.session.sources().get(id: second.sourceId)
        XCTAssertEqual(platformSource.name, "Other", "no utm_source: the platform names the source")
        let page = try await acme.session.leads().list(page: PageRequest(limit: 1))
        XCTAssertEqual(page.items.map(\.id), [second.leadId])
        let rest = try await acme.session.leads().list(page: PageRequest(limit: 1, cursor: page.nextCursor))
        XCTAssertEqual(rest.items.map(\.id), [first.leadId])
        XCTAssertNil(rest.nextCursor)
        let globexLeads = try await globex.session.leads().list()
        XCTAssertTrue(globexLeads.items.isEmpty)

        // Misuse: typed errors, and nothing is created.
        let contactsBefore = try await acme.session.contacts().list().items.count
        let fresh = Lead(platform: .other, externalLeadId: "form-3", createdAt: Date(), name: "Vera", email: "vera@example.com")
        let foreign = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: theirs.id, lead: fresh) }
        XCTAssertEqual(foreign, .NotFound(entity: "integration"))
        let otherCompany = await flameError { try await ads.ingestLead(companyId: globex.company.id, integrationId: forms.id, lead: fresh) }
        XCTAssertEqual(otherCompany, .NotFound(entity: "integration"))
        let notAds = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: bot.id, lead: fresh) }
        XCTAssertEqual(notAds, .NotFound(entity: "advertising integration"))
        let platform = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: meta.id, lead: fresh) }
        XCTAssertEqual(field(platform), "platform")
        var badEmail = fresh
        badEmail.email = "not-an-email"
        let email = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: forms.id, lead: badEmail) }
        XCTAssertEqual(field(email), "email")
        var blankId = fresh
        blankId.externalLeadId = " "
        let blank = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: forms.id, lead: blankId) }
        XCTAssertEqual(field(blank), "external_lead_id")
        let tags = await flameError { try utmFromUrl(url: "?utm_campaign=" + String(repeating: "x", count: 201)) }
        XCTAssertEqual(field(tags), "utm_campaign")
        _ = try await integrations.update(id: forms.id, version: forms.version, patch: IntegrationPatch(enabled: false))
        let disabled = await flameError { try await ads.ingestLead(companyId: acme.company.id, integrationId: forms.id, lead: fresh) }
        guard case .Conflict("integration", _) = disabled else { return XCTFail("\(String(describing: disabled))") }
        let leadsAfter = try await acme.session.leads().list()
        XCTAssertEqual(leadsAfter.items.count, 2)
        let contactsAfter = try await acme.session.contacts().list().items.count
        XCTAssertEqual(contactsAfter, contactsBefore)
        await flame.shutdown()
    }

    func testMessagesTheHostParsed() async throws {
        let flame = try await unlimitedStore("messages.db")
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let globex = try await signUp(flame, "Globex", "hank@globex.test")
        let integrations = acme.session.integrations()
        func messaging(_ platform: MessagingPlatform) -> IntegrationSettings {
            .messaging(
                platform: platform, autoCreateContact: true, autoCreateDeal: false, defaultSourceId: nil,
                defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil)
        }
        let vk = try await integrations.create(name: "VK community", settings: messaging(.vk), credentials: [:])
        let telegram = try await integrations.create(name: "Bot", settings: messaging(.telegram), credentials: [:])
        let ads = try await integrations.create(
            name: "Ads",
            settings: .advertising(
                platform: .vkAds, autoCreateDeal: false, defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil),
            credentials: [:])
        let message = InboundMessage(
            platform: .vk, externalMessageId: "2000000001:17", chatId: "2000000001", senderId: "id777", sentAt: Date(),
            senderName: "Pavel Durov", phoneRaw: "+7 999 765-43-21", phone: "+79997654321",
            text: "Is the Pro plan in stock?")
        let inbound = flame.inbound()
        let first = try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: message)
        XCTAssertEqual(first.externalMessageId, "2000000001:17")
        XCTAssertTrue(first.createdContact)
        XCTAssertFalse(first.duplicate || first.createdDeal)
        XCTAssertNil(first.dealId)
        let pavel = try await acme.session.contacts().get(id: try XCTUnwrap(first.contactId))
        XCTAssertEqual([pavel.firstName, pavel.lastName, pavel.phone], ["Pavel", "Durov", "+79997654321"])
        let activity = try await acme.session.activities().get(id: try XCTUnwrap(first.activityId))
        XCTAssertEqual(activity.body, "Is the Pro plan in stock?")
        XCTAssertEqual(activity.contactId, pavel.id)

        // Redelivered: nothing changes. The next message of the sender joins their contact.
        let again = try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: message)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual([again.contactId, again.activityId], [first.contactId, first.activityId])
        var nextMessage = message
        nextMessage.externalMessageId = "2000000001:18"
        nextMessage.text = "Hello?"
        let next = try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: nextMessage)
        XCTAssertEqual(next.contactId, first.contactId)
        XCTAssertFalse(next.createdContact)

        // Misuse: typed errors, and nothing is written.
        let contactsBefore = try await acme.session.contacts().list().items.count
        let activitiesBefore = try await acme.session.activities().list().items.count
        var other = message
        other.externalMessageId = "2000000001:19"
        let platform = await flameError {
            try await inbound.handleMessage(companyId: acme.company.id, integrationId: telegram.id, message: other)
        }
        XCTAssertEqual(field(platform), "platform")
        let notMessaging = await flameError {
            try await inbound.handleMessage(companyId: acme.company.id, integrationId: ads.id, message: other)
        }
        XCTAssertEqual(notMessaging, .NotFound(entity: "messaging integration"))
        let foreign = await flameError {
            try await inbound.handleMessage(companyId: globex.company.id, integrationId: vk.id, message: other)
        }
        XCTAssertEqual(entity(foreign), "integration")
        let unknown = await flameError {
            try await inbound.handleMessage(
                companyId: acme.company.id, integrationId: UUID().uuidString.lowercased(), message: other)
        }
        XCTAssertEqual(entity(unknown), "integration")
        var badPhone = other
        badPhone.phone = "12345"
        let phone = await flameError {
            try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: badPhone)
        }
        XCTAssertEqual(field(phone), "phone")
        var noId = other
        noId.externalMessageId = "  "
        let blank = await flameError {
            try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: noId)
        }
        XCTAssertEqual(field(blank), "external_message_id")
        _ = try await integrations.update(id: vk.id, version: vk.version, patch: IntegrationPatch(enabled: false))
        let disabled = await flameError {
            try await inbound.handleMessage(companyId: acme.company.id, integrationId: vk.id, message: other)
        }
        guard case .Conflict("integration", _) = disabled else { return XCTFail("\(String(describing: disabled))") }
        let contactsAfter = try await acme.session.contacts().list().items.count
        XCTAssertEqual(contactsAfter, contactsBefore)
        let activitiesAfter = try await acme.session.activities().list().items.count
        XCTAssertEqual(activitiesAfter, activitiesBefore)
        let globexContacts = try await globex.session.contacts().list()
        XCTAssertTrue(globexContacts.items.isEmpty)
        await flame.shutdown()
    }

    func testWebhookSignaturesAreVerified() async throws {
        // A signature made by flame-core's own test vector (HMAC-SHA256 of "<t>.<body>").
        let body = Data(#"{"type":"deal.won","id":"0190c0de-0000-7000-8000-000000000000"}"#.utf8)
        let header = "t=1700000000,v1=28f914957e5c13d8b19dc0480a1d97539a7425c4393b95774da7ab3c26432261"
        let age = Date().timeIntervalSince1970 - 1_700_000_000 + 3600
        try verifyWebhookSignature(secret: "whsec_test", header: header, body: body, tolerance: age)
        // With the default tolerance (five minutes) the old timestamp is a replay.
        let replay = await flameError { try verifyWebhookSignature(secret: "whsec_test", header: header, body: body) }
        guard case .Unauthenticated(let reason) = replay else { return XCTFail("\(String(describing: replay))") }
        XCTAssertTrue(reason.contains("tolerance"), reason)
        let wrongSecret = await flameError {
            try verifyWebhookSignature(secret: "whsec_other", header: header, body: body, tolerance: age)
        }
        guard case .Unauthenticated = wrongSecret else { return XCTFail("\(String(describing: wrongSecret))") }
        let wrongBody = await flameError {
            try verifyWebhookSignature(secret: "whsec_test", header: header, body: Data("{}".utf8), tolerance: age)
        }
        guard case .Unauthenticated = wrongBody else { return XCTFail("\(String(describing: wrongBody))") }
        let malformed = await flameError {
            try verifyWebhookSignature(secret: "whsec_test", header: "v1=abc", body: body, tolerance: age)
        }
        XCTAssertEqual(field(malformed), "Flame-Signature")
        XCTAssertFalse(String(describing: malformed).contains("whsec_test"))
    }

    func testPlatformUsersAndHostSubscriptions() async throws {
        let flame = try await openStore()
        let password = "correct horse battery"
        let acme = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga"), password: password)
        let globex = try await flame.signUp(
            input: SignUp(companyName: "Globex", ownerEmail: "hank@globex.test", ownerName: "Hank"), password: password)
        let globexMail = try await flame.emailVerification(userId: globex.owner.id)
        _ = try await flame.verifyEmail(token: globexMail.token.expose())
        _ = try await flame.setPlatformAdmin(userId: acme.owner.id, admin: true)
        let platform = acme.session.platform()

        // A deactivated user is locked out and their sessions end; reactivated, they log in again.
        let off = try await platform.deactivateUser(userId: globex.owner.id)
        XCTAssertFalse(off.active)
        let ended = await flameError { try await globex.session.contacts().list() }
        guard case .Unauthenticated = ended else { return XCTFail("\(String(describing: ended))") }
        let lockedOut = await flameError { try await flame.login(email: "hank@globex.test", password: password) }
        guard case .Unauthenticated = lockedOut else { return XCTFail("\(String(describing: lockedOut))") }
        let back = try await platform.reactivateUser(userId: globex.owner.id)
        XCTAssertTrue(back.active)
        XCTAssertEqual(back.id, globex.owner.id)
        let hank = try await flame.login(email: "hank@globex.test", password: password)
        let hanksContacts = try await hank.contacts().list()
        XCTAssertTrue(hanksContacts.items.isEmpty)
        let stillEnded = await flameError { try await globex.session.contacts().list() }
        guard case .Unauthenticated = stillEnded else { return XCTFail("\(String(describing: stillEnded))") }
        let nobody = await flameError { try await platform.reactivateUser(userId: UUID().uuidString.lowercased()) }
        guard case .NotFound = nobody else { return XCTFail("\(String(describing: nobody))") }
        let notAdmin = await flameError { try await hank.platform().reactivateUser(userId: acme.owner.id) }
        guard case .Forbidden = notAdmin else { return XCTFail("\(String(describing: notAdmin))") }

        // The host reads a company's subscription as its members do.
        let subscriptions = flame.subscriptions()
        let acmeSub = try await subscriptions.get(companyId: acme.company.id)
        let seen = try await acme.session.billing().subscription()
        XCTAssertEqual(acmeSub, seen)
        XCTAssertEqual(acmeSub.status, .trialing)
        let unknown = await flameError { try await subscriptions.get(companyId: UUID().uuidString.lowercased()) }
        XCTAssertEqual(unknown, .NotFound(entity: "subscription"))

        // A paid plan without trial days: its trial has lapsed at once, and the sweep stores it.
        let pro = try await flame.plans().create(
            input: NewPlan(code: "pro", name: "Pro", priceMinor: 1900, currency: "EUR", interval: .month, trialDays: 0,
                           limits: PlanLimits(), public: true))
        _ = try await flame.plans().setDefault(id: pro.id)
        let initech = try await flame.signUp(
            input: SignUp(companyName: "Initech", ownerEmail: "bill@initech.test", ownerName: "Bill"))
        let lapsed = try await subscriptions.get(companyId: initech.company.id)
        XCTAssertEqual(lapsed.status, .expired, "a lapsed trial reads as expired")
        let readOnly = await flameError { try await initech.session.contacts().create(input: NewContact(firstName: "Ada")) }
        guard case .ReadOnly = readOnly else { return XCTFail("\(String(describing: readOnly))") }
        let swept = try await subscriptions.expireLapsedTrials()
        XCTAssertEqual(swept, 1)
        let sweptAgain = try await subscriptions.expireLapsedTrials()
        XCTAssertEqual(sweptAgain, 0)
        let stored = try await subscriptions.get(companyId: initech.company.id)
        XCTAssertEqual(stored.status, .expired)
        XCTAssertEqual(stored.version, lapsed.version + 1)
        let running = try await subscriptions.get(companyId: acme.company.id)
        XCTAssertEqual(running.status, .trialing, "running trials are left alone")

        // The host expires a subscription at once: the company becomes read-only.
        let expired = try await subscriptions.expire(companyId: acme.company.id)
        XCTAssertEqual(expired.status, .expired)
        XCTAssertEqual(expired.version, acmeSub.version + 1)
        let frozen = await flameError { try await acme.session.contacts().create(input: NewContact(firstName: "Ada")) }
        guard case .ReadOnly = frozen else { return XCTFail("\(String(describing: frozen))") }
        let reads = try await acme.session.contacts().list()
        XCTAssertTrue(reads.items.isEmpty, "reads still work")
        let twice = await flameError { try await subscriptions.expire(companyId: acme.company.id) }
        XCTAssertEqual(entity(twice), "subscription")
        guard case .InvalidTransition = twice else { return XCTFail("\(String(describing: twice))") }
        let missing = await flameError { try await subscriptions.expire(companyId: UUID().uuidString.lowercased()) }
        guard case .NotFound = missing else { return XCTFail("\(String(describing: missing))") }
        let counts = await flame.health().counts?.subscriptionsByStatus
        XCTAssertEqual(counts?.expired, 2)
        XCTAssertEqual(counts?.trialing, 1)
        await flame.shutdown()
    }

    func testAnExistingUserJoinsOnlyFromTheirOwnSession() async throws {
        let flame = try await openStore()
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let evil = try await signUp(flame, "Evil", "mallory@evil.test")
        let invite = try await evil.session.invitations().create(input: NewInvitation(email: "olga@acme.test", role: .owner))
        let token = invite.token.expose()
        let taken = await flameError { try await flame.acceptInvitation(token: token, name: "Mallory", password: "evil horse battery staple") }
        guard case .Unauthenticated = taken else { return XCTFail("\(String(describing: taken))") }
        let conflict = await flameError { try await flame.signUp(input: SignUp(companyName: "Evil Two", ownerEmail: "olga@acme.test", ownerName: "Mallory")) }
        guard case .Conflict(let entity, _) = conflict else { return XCTFail("\(String(describing: conflict))") }
        XCTAssertEqual(entity, "owner_email")
        let foreign = await flameError { try await evil.session.account().acceptInvitation(token: token) }
        guard case .Forbidden = foreign else { return XCTFail("\(String(describing: foreign))") }
        let joined = try await acme.session.account().acceptInvitation(token: token)
        XCTAssertEqual(joined.companyId(), evil.company.id)
        XCTAssertEqual(joined.role(), .owner)
        let second = try await acme.session.account().createCompany(name: "Acme Two")
        XCTAssertEqual(second.company.name, "Acme Two")
        XCTAssertEqual(second.owner.id, acme.owner.id)
        let companies = try await acme.session.account().companies()
        XCTAssertEqual(companies.count, 3)
        await flame.shutdown()
    }

    func testEmailVerification() async throws {
        let flame = try await openStore()
        let password = "correct horse battery"
        let acme = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga"), password: password)
        XCTAssertNil(acme.owner.emailVerifiedAt)

        // An unverified email does not log in; the answer says why only to the right password.
        let wrong = await flameError { try await flame.login(email: "olga@acme.test", password: "wrong horse battery") }
        let unverified = await flameError { try await flame.login(email: "olga@acme.test", password: password) }
        guard case .Unauthenticated(let wrongReason) = wrong, case .Unauthenticated(let reason) = unverified else {
            return XCTFail("\(String(describing: wrong)) \(String(describing: unverified))")
        }
        XCTAssertTrue(reason.contains("not verified"), reason)
        XCTAssertFalse(wrongReason.contains("not verified"), wrongReason)

        // The host mails the token; the owner of the address verifies it, once.
        let mail = try await flame.emailVerification(userId: acme.owner.id)
        XCTAssertEqual(mail.email, "olga@acme.test")
        let token = mail.token.expose()
        XCTAssertTrue(token.hasPrefix("flame_ver_"))
        XCTAssertFalse(String(describing: mail).contains(token))
        let verified = try await flame.verifyEmail(token: token)
        XCTAssertNotNil(verified.emailVerifiedAt)
        let reused = await flameError { try await flame.verifyEmail(token: token) }
        guard case .Unauthenticated = reused else { return XCTFail("\(String(describing: reused))") }
        let session = try await flame.login(email: "olga@acme.test", password: password)

        // Logging out everywhere can revoke the API tokens too (by default they stay).
        let apiToken = try await session.apiTokens().create(input: NewApiToken(name: "reports", scope: .readOnly)).secret.expose()
        let loggedOut = try await session.account().logoutEverywhere()
        XCTAssertEqual(loggedOut, 2)
        _ = try await flame.authenticate(token: apiToken)
        let again = try await flame.login(email: "olga@acme.test", password: password)
        let revoked = try await again.account().logoutEverywhere(revokeApiTokens: true)
        XCTAssertEqual(revoked, 1)
        let dead = await flameError { try await flame.authenticate(token: apiToken) }
        guard case .Unauthenticated = dead else { return XCTFail("\(String(describing: dead))") }

        // A mailed token takes an account back: a new password, every session revoked.
        let third = try await flame.login(email: "olga@acme.test", password: password)
        let reset = try await flame.emailVerification(userId: acme.owner.id).token.expose()
        _ = try await flame.resetPassword(token: reset, newPassword: "a much better passphrase")
        let ended = await flameError { try await third.contacts().list() }
        guard case .Unauthenticated = ended else { return XCTFail("\(String(describing: ended))") }
        let old = await flameError { try await flame.login(email: "olga@acme.test", password: password) }
        guard case .Unauthenticated = old else { return XCTFail("\(String(describing: old))") }
        _ = try await flame.login(email: "olga@acme.test", password: "a much better passphrase")
        await flame.shutdown()
    }
}
