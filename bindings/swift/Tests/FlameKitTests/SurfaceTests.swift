import Foundation
import XCTest

@testable import FlameKit

/// Every operation of docs/bindings.md that FlameKitTests leaves out, and the errors it does not
/// provoke (Schema, Storage, Crypto, PlanLimitExceeded): paged and filtered accounting documents
/// and webhook deliveries, row import, accounts, members, stages, deletes, leads and spend.
/// scripts/check-bindings fails when an operation of the table is called by no Swift test.
final class SurfaceTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-surface-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func url(_ name: String) -> String { "sqlite://\(dir.appendingPathComponent(name).path)" }

    /// A store whose default plan has no limits (many integrations in one company).
    private func unlimited(_ name: String, _ options: OpenOptions = OpenOptions()) async throws -> Flame {
        let flame = try await Flame.open(url: url(name), options: options)
        let big = try await flame.plans().create(
            input: NewPlan(code: "big", name: "Big", priceMinor: 0, currency: "USD", interval: .month, trialDays: 30,
                           limits: PlanLimits(), public: false))
        _ = try await flame.plans().setDefault(id: big.id)
        return flame
    }

    private func signUp(_ flame: Flame, _ company: String, _ email: String) async throws -> SignedUp {
        try await flame.signUp(input: SignUp(companyName: company, ownerEmail: email, ownerName: "Olga Owner"))
    }

    /// Runs `body`, expecting a `FlameError`, and returns it.
    private func expectError<T>(_ body: () async throws -> T, line: UInt = #line) async -> FlameError? {
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

    private func isNotFound(_ error: FlameError?) -> Bool {
        if case .NotFound? = error { return true }
        return false
    }

    func testAccountingDocumentsArePagedAndFiltered() async throws {
        let flame = try await unlimited("accounting.db")
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let onWin = try await acme.session.integrations().create(
            name: "1C", settings: .accounting(platform: .oneC, vatRateBp: 2000, vatIncluded: false, invoiceOnWon: true))
        let onDemand = try await acme.session.integrations().create(
            name: "Xero", settings: .accounting(platform: .xero, vatRateBp: 2000, vatIncluded: false, invoiceOnWon: false))
        let ada = try await acme.session.contacts().create(input: NewContact(firstName: "Ada"))
        let deal = try await acme.session.deals().create(
            input: NewDeal(title: "Robots", amountMinor: 100000, currency: "USD", contactId: ada.id))
        _ = try await acme.session.deals().win(id: deal.id, version: deal.version)
        let accounting = acme.session.accounting()
        let onWinDocs = try await accounting.documents().items
        XCTAssertEqual(onWinDocs.count, 1)
        let queued = try await accounting.queueInvoice(dealId: deal.id)
        XCTAssertEqual(Set(queued.map(\.integrationId)), [onWin.id, onDemand.id])

        let first = try await accounting.documents(page: PageRequest(limit: 1))
        XCTAssertEqual(first.items.count, 1)
        XCTAssertNotNil(first.nextCursor)
        let second = try await accounting.documents(page: PageRequest(limit: 1, cursor: first.nextCursor))
        XCTAssertEqual(second.items.count, 1)
        XCTAssertNil(second.nextCursor)
        XCTAssertEqual(Set((first.items + second.items).map(\.id)), Set(queued.map(\.id)))
        let xero = try await accounting.documents(filter: DocumentFilter(integrationId: onDemand.id)).items
        XCTAssertEqual(xero.map(\.integrationId), [onDemand.id])
        let sent = try await accounting.documents(filter: DocumentFilter(status: .sent)).items
        XCTAssertTrue(sent.isEmpty)
        let ofDeal = try await accounting.documents(filter: DocumentFilter(dealId: deal.id)).items
        XCTAssertEqual(ofDeal.count, 2)
        let one = try await accounting.get(id: xero[0].id)
        XCTAssertEqual(one, xero[0])

        let handOver = flame.accounting()
        let page1 = try await handOver.list(
            companyId: acme.company.id, filter: DocumentFilter(status: .queued), page: PageRequest(limit: 1))
        let page2 = try await handOver.list(
            companyId: acme.company.id, filter: DocumentFilter(status: .queued),
            page: PageRequest(limit: 1, cursor: page1.nextCursor))
        XCTAssertEqual(Set((page1.items + page2.items).map(\.id)).count, 2)
        XCTAssertNil(page2.nextCursor)
        let failed = try await handOver.markFailed(companyId: acme.company.id, id: xero[0].id, reason: "rejected by Xero")
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.failureReason, "rejected by Xero")
        let fetched = try await handOver.get(companyId: acme.company.id, id: failed.id)
        XCTAssertEqual(fetched, failed)
        let onlyFailed = try await handOver.list(companyId: acme.company.id, filter: DocumentFilter(status: .failed)).items
        XCTAssertEqual(onlyFailed.map(\.id), [failed.id])
        let other = onWinDocs[0]
        let marked = try await handOver.markSent(companyId: acme.company.id, id: other.id)
        XCTAssertEqual(marked.status, .sent)

        let globex = try await signUp(flame, "Globex", "hank@globex.test")
        let foreign = await expectError { try await handOver.get(companyId: globex.company.id, id: failed.id) }
        XCTAssertTrue(isNotFound(foreign), "\(String(describing: foreign))")
        let foreignSession = await expectError { try await globex.session.accounting().get(id: failed.id) }
        XCTAssertTrue(isNotFound(foreignSession), "\(String(describing: foreignSession))")
        await flame.shutdown()
    }

    func testWebhookDeliveriesArePagedFilteredAndRetried() async throws {
        let key = try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 4, count: 32))
        let flame = try await unlimited("hooks.db", OpenOptions(encryptionKey: key, webhookAllowLoopback: true))
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        // Nothing listens on port 1: every post fails, and one attempt makes a delivery dead.
        let contactsHook = try await acme.session.integrations().create(
            name: "Contacts hook", settings: .webhook(url: "http://127.0.0.1:1/contacts", events: ["contact.created"]),
            credentials: ["signing_secret": "whsec_a"])
        let dealsHook = try await acme.session.integrations().create(
            name: "Deals hook", settings: .webhook(url: "http://127.0.0.1:1/deals", events: ["deal.created"]),
            credentials: ["signing_secret": "whsec_b"])
        _ = try await acme.session.contacts().create(input: NewContact(firstName: "Ada"))
        _ = try await acme.session.contacts().create(input: NewContact(firstName: "Grace"))
        _ = try await acme.session.deals().create(input: NewDeal(title: "Robots", amountMinor: 100000, currency: "USD"))

        let worker = try flame.webhookWorker(
            options: WebhookOptions(maxAttempts: 1, timeout: 2, lease: 5, batch: 7, pollInterval: 0.05))
        XCTAssertEqual(worker.options().maxAttempts, 1)
        XCTAssertEqual(worker.options().batch, 7)
        XCTAssertEqual(worker.options().pollInterval, 0.05, accuracy: 0.001)
        do {
            _ = try flame.webhookWorker(options: WebhookOptions(batch: 0))
            XCTFail("a batch of 0 is refused")
        } catch FlameError.Validation(let field, _) {
            XCTAssertEqual(field, "batch")
        }
        var dead: UInt64 = 0
        for _ in 0..<5 where dead < 3 { dead += try await worker.runOnce().dead }
        XCTAssertEqual(dead, 3)

        let deliveries = acme.session.webhookDeliveries()
        let mine = WebhookDeliveryFilter(integrationId: contactsHook.id)
        let first = try await deliveries.list(filter: mine, page: PageRequest(limit: 1))
        XCTAssertEqual(first.items.count, 1)
        XCTAssertNotNil(first.nextCursor)
        let second = try await deliveries.list(filter: mine, page: PageRequest(limit: 1, cursor: first.nextCursor))
        XCTAssertEqual(second.items.count, 1)
        XCTAssertNil(second.nextCursor)
        XCTAssertTrue((first.items + second.items).allSatisfy { $0.integrationId == contactsHook.id })
        let ofDeals = try await deliveries.list(filter: WebhookDeliveryFilter(integrationId: dealsHook.id)).items
        XCTAssertEqual(ofDeals.map(\.eventType), ["deal.created"])
        let delivered = try await deliveries.list(filter: WebhookDeliveryFilter(status: .delivered)).items
        XCTAssertTrue(delivered.isEmpty)
        let deadOnes = try await deliveries.list(filter: WebhookDeliveryFilter(status: .dead)).items
        XCTAssertEqual(deadOnes.count, 3)

        let one = try await deliveries.get(id: first.items[0].id)
        XCTAssertEqual(one.status, .dead)
        XCTAssertNotNil(one.lastError)
        let retried = try await deliveries.retry(id: one.id)
        XCTAssertEqual(retried.status, .pending)
        XCTAssertEqual(retried.attempts, 0)
        let stillDead = try await deliveries.list(filter: WebhookDeliveryFilter(status: .dead)).items
        XCTAssertEqual(stillDead.count, 2)

        XCTAssertFalse(worker.running())
        await worker.start()
        XCTAssertTrue(worker.running())
        await worker.stop()
        XCTAssertFalse(worker.running())
        await flame.shutdown()
    }

    func testRowsImportLikeCreate() async throws {
        let flame = try await Flame.open(url: url("import.db"))
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let report = try await acme.session.contacts().importRows(rows: [
            NewContact(firstName: "Ada", email: "ada@example.test"),
            NewContact(firstName: "Bad", email: "not an email"),
            NewContact(firstName: "Grace", phone: "+44 20 7946 0958"),
        ])
        XCTAssertEqual(report.imported, 2)
        XCTAssertEqual(report.rejected, 1)
        XCTAssertEqual(report.errors.map(\.line), [2])
        XCTAssertEqual(report.errors.map(\.field), ["email"])
        XCTAssertNil(report.failed)
        let names = try await acme.session.contacts().list().items.map(\.firstName)
        XCTAssertEqual(Set(names), ["Ada", "Grace"])
        let badOwner = await expectError {
            try await acme.session.contacts().importRows(rows: [NewContact(firstName: "X", ownerId: "nope")])
        }
        guard case .Validation(let field, _) = badOwner else { return XCTFail("\(String(describing: badOwner))") }
        XCTAssertEqual(field, "owner_id")
        await flame.shutdown()
    }

    func testSchemaStorageCryptoAndPlanLimitErrorsArriveTyped() async throws {
        // Schema: a verify-only open of a store that was never migrated.
        let schema = await expectError { try await Flame.open(url: self.url("empty.db"), options: OpenOptions(verifyOnly: true)) }
        guard case .Schema(let schemaReason) = schema else { return XCTFail("\(String(describing: schema))") }
        XCTAssertTrue(schemaReason.contains("migration"), schemaReason)

        // Crypto: a credential to seal without an encryption key; then the wrong key.
        let plain = try await Flame.open(url: url("crypto.db"))
        let acme = try await signUp(plain, "Acme", "olga@acme.test")
        let telegram = IntegrationSettings.messaging(
            platform: .telegram, autoCreateContact: true, autoCreateDeal: false, defaultSourceId: nil,
            defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil)
        let noKey = await expectError {
            try await acme.session.integrations().create(name: "Bot", settings: telegram, credentials: ["token": "123:SECRET"])
        }
        guard case .Crypto(let cryptoReason) = noKey else { return XCTFail("\(String(describing: noKey))") }
        XCTAssertTrue(cryptoReason.contains("encryption key"), cryptoReason)
        XCTAssertFalse(cryptoReason.contains("SECRET"))
        await plain.shutdown()
        let keyed = try await Flame.open(
            url: url("crypto.db"),
            options: OpenOptions(encryptionKey: try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 1, count: 32))))
        let bot = try await keyed.session(userId: acme.owner.id, companyId: acme.company.id).integrations().create(
            name: "Bot", settings: telegram, credentials: ["token": "123:SECRET"])
        await keyed.shutdown()
        let wrong = try await Flame.open(
            url: url("crypto.db"),
            options: OpenOptions(encryptionKey: try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 9, count: 32))))
        let session = try await wrong.session(userId: acme.owner.id, companyId: acme.company.id)
        let wrongKey = await expectError { try await session.integrations().credential(id: bot.id, field: "token") }
        guard case .Crypto = wrongKey else { return XCTFail("\(String(describing: wrongKey))") }

        // Storage: a call on a store after shutdown.
        await wrong.shutdown()
        let closed = await expectError { try await session.contacts().list() }
        guard case .Storage(let storageReason) = closed else { return XCTFail("\(String(describing: closed))") }
        XCTAssertTrue(storageReason.contains("closed"), storageReason)

        // PlanLimitExceeded: a plan of one contact.
        let small = try await Flame.open(url: url("small.db"))
        let tiny = try await small.plans().create(
            input: NewPlan(code: "tiny", name: "Tiny", priceMinor: 0, currency: "EUR", interval: .month, trialDays: 14,
                           limits: PlanLimits(contacts: 1), public: true))
        _ = try await small.plans().setDefault(id: tiny.id)
        let shop = try await signUp(small, "Shop", "s@shop.test")
        _ = try await shop.session.contacts().create(input: NewContact(firstName: "One"))
        let limit = await expectError { try await shop.session.contacts().create(input: NewContact(firstName: "Two")) }
        guard case .PlanLimitExceeded(let which, let allowed, _) = limit else { return XCTFail("\(String(describing: limit))") }
        XCTAssertEqual(which, "contacts")
        XCTAssertEqual(allowed, 1)
        await small.shutdown()
    }

    func testAccountsMembersAndBilling() async throws {
        let flame = try await Flame.open(url: url("accounts.db"))
        XCTAssertGreaterThan(flame.schemaVersion(), 0)
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        XCTAssertGreaterThan(acme.session.expiresAt(), Date())
        let token = try await flame.emailVerification(userId: acme.owner.id)
        _ = try await flame.verifyEmail(token: token.token.expose())

        try await flame.setPassword(userId: acme.owner.id, password: "first horse battery")
        let session = try await flame.login(email: "olga@acme.test", password: "first horse battery")
        let me = try await session.account().user()
        XCTAssertEqual(me.email, "olga@acme.test")
        try await session.account().changePassword(current: "first horse battery", new: "second horse battery")
        let oldPassword = await expectError { try await flame.login(email: "olga@acme.test", password: "first horse battery") }
        guard case .Unauthenticated = oldPassword else { return XCTFail("\(String(describing: oldPassword))") }
        let again = try await flame.login(email: "olga@acme.test", password: "second horse battery")

        let second = try await again.account().createCompany(name: "Acme Labs")
        let switched = try await again.account().switchCompany(companyId: second.company.id)
        XCTAssertEqual(switched.companyId(), second.company.id)
        let companies = try await again.account().companies().map(\.companyName)
        XCTAssertEqual(Set(companies), ["Acme", "Acme Labs"])

        let invite = try await again.invitations().create(input: NewInvitation(email: "nina@acme.test", role: .member))
        let open = try await again.invitations().listOpen().map(\.id)
        XCTAssertEqual(open, [invite.invitation.id])
        let revoked = try await again.invitations().revoke(id: invite.invitation.id)
        XCTAssertNotNil(revoked.revokedAt)
        let none = try await again.invitations().listOpen()
        XCTAssertTrue(none.isEmpty)

        let token2 = try await again.apiTokens().create(input: NewApiToken(name: "reports", scope: .readOnly))
        let revokedToken = try await again.apiTokens().revoke(id: token2.token.id)
        XCTAssertNotNil(revokedToken.revokedAt)

        let members = again.members()
        let max = try await members.add(input: NewMember(email: "max@acme.test", name: "Max Manager", role: .manager))
        let promoted = try await members.changeRole(userId: max.user.id, role: .admin, version: max.membership.version)
        XCTAssertEqual(promoted.role, .admin)
        try await members.remove(userId: max.user.id)
        let gone = await expectError { try await members.get(userId: max.user.id) }
        XCTAssertTrue(isNotFound(gone), "\(String(describing: gone))")
        let vera = try await members.add(input: NewMember(email: "vera@acme.test", name: "Vera Viewer", role: .viewer))
        try await flame.session(userId: vera.user.id, companyId: acme.company.id).members().leave()
        let left = try await members.list().items.map(\.user.email)
        XCTAssertEqual(left, ["olga@acme.test"])

        let pro = try await flame.plans().create(
            input: NewPlan(code: "pro", name: "Pro", priceMinor: 4900, currency: "USD", interval: .month, trialDays: 0,
                           limits: PlanLimits(), public: true))
        let publicPlans = try await flame.plans().listPublic().map(\.id)
        XCTAssertTrue(publicPlans.contains(pro.id))
        let billing = again.billing()
        let changed = try await billing.changePlan(planId: pro.id, version: try await billing.subscription().version)
        XCTAssertEqual(changed.planId, pro.id)
        let noPayments = try await billing.payments()
        XCTAssertTrue(noPayments.isEmpty)
        _ = try await flame.subscriptions().recordPayment(
            companyId: acme.company.id,
            payment: NewPayment(providerRef: "pay_1", outcome: .succeeded, amountMinor: 4900, currency: "USD",
                                periodEnd: Date().addingTimeInterval(30 * 86400)))
        let payments = try await billing.payments().map(\.providerRef)
        XCTAssertEqual(payments, ["pay_1"])
        let usage = try await billing.usage()
        XCTAssertEqual(usage.seats, 1)

        let labs = switched.company()
        try await labs.delete(version: try await labs.get().version)
        let afterDelete = await expectError { try await switched.company().get() }
        XCTAssertNotNil(afterDelete)
        let remaining = try await again.account().companies().map(\.companyName)
        XCTAssertEqual(remaining, ["Acme"])
        await flame.shutdown()
    }

    func testStagesDealsAndDeletes() async throws {
        let flame = try await unlimited("records.db")
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let pipelines = acme.session.pipelines()
        let rentals = try await pipelines.create(input: NewPipeline(name: "Rentals", stages: [
            NewStage(name: "Ask", kind: .open), NewStage(name: "Signed", kind: .won), NewStage(name: "Gone", kind: .lost),
        ]))
        let visit = try await pipelines.addStage(pipelineId: rentals.pipeline.id, input: NewStage(name: "Visit", kind: .open, probability: 30))
        let viewing = try await pipelines.updateStage(id: visit.id, patch: StagePatch(name: "Viewing"), version: visit.version)
        let fetchedStage = try await pipelines.stage(id: visit.id)
        XCTAssertEqual(fetchedStage.name, "Viewing")
        try await pipelines.removeStage(id: viewing.id, version: viewing.version)
        let names = try await pipelines.stages(id: rentals.pipeline.id).map(\.name)
        XCTAssertEqual(names, ["Ask", "Signed", "Gone"])
        func stage(_ name: String) -> String { rentals.stages.first { $0.name == name }!.id }

        let deals = acme.session.deals()
        let flat = try await deals.create(
            input: NewDeal(title: "Flat on Main St", amountMinor: 150000, currency: "EUR", pipelineId: rentals.pipeline.id))
        let lost = try await deals.loseInStage(id: flat.id, stageId: stage("Gone"), reason: "Found another flat", version: flat.version)
        XCTAssertEqual(lost.status, .lost)
        XCTAssertEqual(lost.stageId, stage("Gone"))
        let reopened = try await deals.reopen(id: lost.id, stageId: stage("Ask"), version: lost.version)
        XCTAssertEqual(reopened.status, .open)
        try await deals.delete(id: reopened.id, version: reopened.version)
        let noDeal = await expectError { try await deals.get(id: flat.id) }
        XCTAssertTrue(isNotFound(noDeal))
        try await pipelines.delete(id: rentals.pipeline.id, version: try await pipelines.get(id: rentals.pipeline.id).version)
        let left = try await pipelines.list().map(\.id)
        XCTAssertFalse(left.contains(rentals.pipeline.id))

        let ada = try await acme.session.contacts().create(input: NewContact(firstName: "Ada"))
        let note = try await acme.session.activities().create(input: NewActivity(kind: .note, body: "Called back", contactId: ada.id))
        try await acme.session.activities().delete(id: note.id, version: note.version)
        let noNote = await expectError { try await acme.session.activities().get(id: note.id) }
        XCTAssertTrue(isNotFound(noNote))
        try await acme.session.contacts().delete(id: ada.id, version: ada.version)
        let noContact = await expectError { try await acme.session.contacts().get(id: ada.id) }
        XCTAssertTrue(isNotFound(noContact))
        let fair = try await acme.session.sources().create(name: "Trade fair")
        try await acme.session.sources().delete(id: fair.id, version: fair.version)
        let sources = try await acme.session.sources().list().map(\.id)
        XCTAssertFalse(sources.contains(fair.id))
        let books = try await acme.session.integrations().create(
            name: "Books", settings: .accounting(platform: .quickBooks, vatRateBp: 0, vatIncluded: false, invoiceOnWon: false))
        try await acme.session.integrations().delete(id: books.id, version: books.version)
        let noBooks = await expectError { try await acme.session.integrations().get(id: books.id) }
        XCTAssertTrue(isNotFound(noBooks))
        await flame.shutdown()
    }

    func testLeadsSpendAndMetasHandshake() async throws {
        let key = try EncryptionKey.fromBytes(id: "k1", bytes: Data(repeating: 2, count: 32))
        let flame = try await unlimited("leads.db", OpenOptions(encryptionKey: key))
        let acme = try await signUp(flame, "Acme", "olga@acme.test")
        let vk = try await acme.session.integrations().create(
            name: "VK ads",
            settings: .advertising(platform: .vkAds, autoCreateDeal: false, defaultPipelineId: nil, defaultAssigneeId: nil,
                                   dealCurrency: nil))
        let confirmation = Data(#"{"type": "confirmation", "group_id": 123456789}"#.utf8)
        let nothing = try await flame.advertising().ingestVkLead(
            companyId: acme.company.id, integrationId: vk.id, headers: [:], body: confirmation, receivedAt: Date())
        XCTAssertNil(nothing)
        let lead = Data(#"""
            {"group_id": 123456789, "type": "lead_forms_new", "event_id": "3d1b8e5a", "v": "5.199",
             "object": {"lead_id": 1001, "group_id": 123456789, "user_id": 987654, "form_id": 3, "form_name": "Consultation",
             "ad_id": 55501, "answers": [{"key": "first_name", "question": "Name", "answer": "Ivan"},
             {"key": "email", "question": "Email", "answer": "ivan@example.ru"}]}}
            """#.utf8)
        let outcome = try await flame.advertising().ingestVkLead(
            companyId: acme.company.id, integrationId: vk.id, headers: [:], body: lead,
            receivedAt: ISO8601DateFormatter().date(from: "2024-11-05T12:00:00Z")!)
        let contactId = try XCTUnwrap(outcome?.contactId)
        let ivan = try await acme.session.contacts().get(id: contactId)
        XCTAssertEqual(ivan.email, "ivan@example.ru")

        // Spend per campaign and day, and the cost per lead by source.
        let written = try await flame.advertising().importSpend(
            companyId: acme.company.id, integrationId: vk.id,
            rows: [AdSpend(campaign: "Autumn", day: "2024-11-05", amountMinor: 5000, currency: "RUB")])
        XCTAssertEqual(written, 1)
        let costs = try await acme.session.reports().costBySource(from: "2024-11-01", to: "2024-11-30")
        XCTAssertTrue(costs.contains { $0.leads == 1 && $0.spendMinor == 5000 }, "\(costs)")

        let whatsapp = try await acme.session.integrations().create(
            name: "WhatsApp",
            settings: .messaging(platform: .whatsApp, autoCreateContact: true, autoCreateDeal: false, defaultSourceId: nil,
                                 defaultPipelineId: nil, defaultAssigneeId: nil, dealCurrency: nil,
                                 phoneNumberId: "106540352242922"),
            credentials: ["app_secret": "meta-secret", "verify_token": "hub-verify"])
        let challenge = try await flame.inbound().verifySubscription(
            companyId: acme.company.id, integrationId: whatsapp.id, mode: "subscribe", verifyToken: "hub-verify",
            challenge: "ch4llenge")
        XCTAssertEqual(challenge, "ch4llenge")
        let guessed = await expectError {
            try await flame.inbound().verifySubscription(
                companyId: acme.company.id, integrationId: whatsapp.id, mode: "subscribe", verifyToken: "guess",
                challenge: "c")
        }
        guard case .Unauthenticated = guessed else { return XCTFail("\(String(describing: guessed))") }
        await flame.shutdown()
    }
}
