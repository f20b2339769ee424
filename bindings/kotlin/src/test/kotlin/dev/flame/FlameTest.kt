package dev.flame

import dev.flame.core.*
import java.nio.file.Path
import java.time.Instant
import java.util.UUID
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * The whole flow of the quickstart, through the generated Kotlin bindings, on an SQLite file:
 * sign-up, members, contacts, deals moved/won/lost, typed errors, health, and the other
 * aggregates (sources, activities, company, billing, plans, events).
 */
class FlameTest {
    @TempDir
    lateinit var dir: Path

    private suspend fun openStore(): Flame = Flame.open("sqlite://${dir.resolve("crm.db")}")

    private suspend fun signUp(flame: Flame, company: String, email: String): SignedUp =
        flame.signUp(SignUp(companyName = company, ownerEmail = email, ownerName = "Olga Owner"))

    @Test
    fun quickstartFlow() = runBlocking {
        val flame = openStore()
        assertEquals("sqlite", flame.backend())

        val signed = signUp(flame, "Acme Robotics", "olga@acme.test")
        val owner = signed.session
        assertEquals("Acme Robotics", signed.company.name)
        assertEquals("olga@acme.test", signed.owner.email)
        assertEquals(Role.OWNER, owner.role())
        assertEquals(signed.company.id, owner.companyId())

        val manager = owner.members().add(NewMember("max@acme.test", "Max Manager", Role.MANAGER))
        assertEquals(Role.MANAGER, manager.membership.role)

        val contacts = owner.contacts()
        val engines = owner.organizations().create(NewOrganization(name = "Analytical Engines Ltd"))
        val ada = contacts.create(
            NewContact(
                firstName = "Ada",
                lastName = "Lovelace",
                email = "Ada@Analytical.Engines",
                phone = "+44 20 7946 0958",
                organizationId = engines.id,
            ),
        )
        assertEquals("ada@analytical.engines", ada.email)
        assertEquals("+442079460958", ada.phone)
        val ivan = contacts.create(
            NewContact(
                firstName = "Ivan",
                lastName = "Petrov",
                phone = "8 (912) 345-67-89",
                phoneRegion = "RU",
                ownerId = manager.user.id,
            ),
        )
        assertEquals("+79123456789", ivan.phone)
        assertEquals(manager.user.id, ivan.ownerId)
        assertEquals(ada.id, contacts.get(ada.id).id)
        assertEquals(2, contacts.list().items.size)
        assertEquals(listOf(ada.id), contacts.list(ContactFilter(namePrefix = "ad")).items.map { it.id })

        val babbage = owner.organizations().create(NewOrganization(name = "Babbage & Co"))
        val renamed = contacts.update(ada.id, ada.version, ContactPatch(organizationId = babbage.id))
        assertEquals(babbage.id, renamed.organizationId)
        assertEquals(ada.version + 1, renamed.version)
        // The old version is stale now.
        val stale = assertThrows<FlameException.Conflict> {
            runBlocking { contacts.update(ada.id, ada.version, ContactPatch(firstName = "X")) }
        }
        assertEquals("contact", stale.entity)

        val pipelines = owner.pipelines()
        val pipeline = pipelines.defaultPipeline()
        assertTrue(pipeline.isDefault)
        val stages = pipelines.stages(pipeline.id)
        assertEquals(
            listOf("New", "Qualified", "Proposal", "Won", "Lost"),
            stages.map { it.name },
        )
        fun stage(name: String) = stages.first { it.name == name }.id
        assertEquals(StageKind.WON, stages.first { it.name == "Won" }.kind)

        val deals = owner.deals()
        var robot = deals.create(
            NewDeal("Twelve welding robots", 1_250_000_00L, "USD", contactId = ada.id, expectedClose = "2027-03-31"),
        )
        assertEquals(Money(1_250_000_00L, "USD"), robot.value)
        assertEquals(DealStatus.OPEN, robot.status)
        assertEquals(stage("New"), robot.stageId)
        assertEquals("2027-03-31", robot.expectedClose)
        var arm = deals.create(
            NewDeal("Painting arm", 480_000_00L, "rub", contactId = ivan.id, assigneeId = manager.user.id),
        )
        assertEquals("RUB", arm.value.currency)
        var pilot = deals.create(NewDeal("Pilot installation", 75_000_00L, "USD", contactId = ada.id))

        robot = deals.moveToStage(robot.id, stage("Qualified"), robot.version)
        robot = deals.moveToStage(robot.id, stage("Proposal"), robot.version)
        robot = deals.win(robot.id, robot.version)
        assertEquals(DealStatus.WON, robot.status)
        assertNotNull(robot.closedAt)
        arm = deals.moveToStage(arm.id, stage("Qualified"), arm.version)
        arm = deals.lose(arm.id, "Chose a local integrator", arm.version)
        assertEquals(DealStatus.LOST, arm.status)
        assertEquals("Chose a local integrator", arm.lostReason)
        pilot = deals.moveToStage(pilot.id, stage("Proposal"), pilot.version)
        assertEquals(DealStatus.OPEN, pilot.status)

        // A won deal does not move without being reopened.
        val refused = assertThrows<FlameException.InvalidTransition> {
            runBlocking { deals.moveToStage(robot.id, stage("New"), robot.version) }
        }
        assertEquals("deal", refused.entity)
        assertEquals("won", refused.fromState)
        assertEquals("open", refused.toState)
        val reopened = deals.reopen(arm.id, stage("Proposal"), arm.version)
        assertEquals(DealStatus.OPEN, reopened.status)
        assertNull(reopened.lostReason)

        assertEquals(listOf(robot.id), deals.list(DealFilter(status = DealStatus.WON)).items.map { it.id })
        assertEquals(3, deals.list().items.size)
        val page = deals.list(page = PageRequest(limit = 2u))
        assertEquals(2, page.items.size)
        val rest = deals.list(page = PageRequest(limit = 2u, cursor = page.nextCursor))
        assertEquals(1, rest.items.size)
        assertNull(rest.nextCursor)

        val summary = pipelines.summary(pipeline.id)
        val proposal = summary.first { it.stage.name == "Proposal" }
        assertEquals(2uL, proposal.dealCount)
        assertTrue(proposal.totals.contains(Money(75_000_00L, "USD")))
        assertTrue(proposal.totals.contains(Money(480_000_00L, "RUB")))

        val health = flame.health()
        assertEquals("sqlite", health.backend)
        assertTrue(health.reachable)
        assertTrue(health.schemaMatches)
        assertEquals(health.expectedSchemaVersion, health.schemaVersion)
        assertFalse(health.encryptionConfigured)
        val counts = health.counts!!
        assertEquals(2uL, counts.users)
        assertEquals(1uL, counts.companies)
        assertEquals(2uL, counts.contacts)
        assertEquals(3uL, counts.deals)
        flame.shutdown()
    }

    @Test
    fun errorsArriveTyped() = runBlocking {
        val flame = openStore()
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val globex = signUp(flame, "Globex", "hank@globex.test")

        // No membership: Unauthenticated, never a session.
        val stranger = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.session(UUID.randomUUID().toString(), acme.company.id) }
        }
        assertTrue(stranger.reason.isNotEmpty())
        // A member gets a session with their stored role.
        val again = flame.session(acme.owner.id, acme.company.id)
        assertEquals(Role.OWNER, again.role())

        // A bad email: Validation naming the field.
        val bad = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.contacts().create(NewContact(firstName = "Bob", email = "not-an-email")) }
        }
        assertEquals("email", bad.field)
        assertTrue(bad.message!!.contains("email"))

        // Another company's contact is NotFound, like one that does not exist.
        val theirs = globex.session.contacts().create(NewContact(firstName = "Hank"))
        val hidden = assertThrows<FlameException.NotFound> {
            runBlocking { acme.session.contacts().get(theirs.id) }
        }
        assertEquals("contact", hidden.entity)
        assertThrows<FlameException.NotFound> {
            runBlocking { acme.session.contacts().get(UUID.randomUUID().toString()) }
        }
        // A malformed id is a Validation of the argument.
        val malformed = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.deals().get("nope") }
        }
        assertEquals("id", malformed.field)
        // An unknown currency.
        val currency = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.deals().create(NewDeal("X", 1L, "XYZ")) }
        }
        assertTrue(currency.field.contains("currency"), currency.field)

        // A viewer may read but not write.
        val viewer = acme.session.members().add(NewMember("vic@acme.test", "Vic Viewer", Role.VIEWER))
        val viewerSession = flame.session(viewer.user.id, acme.company.id)
        assertEquals(0, viewerSession.contacts().list().items.size)
        assertThrows<FlameException.Forbidden> {
            runBlocking { viewerSession.contacts().create(NewContact(firstName = "Nope")) }
        }

        // A kept token resumes the session; a role change is seen by it at once.
        val principal = viewerSession.principal()
        assertEquals(Role.VIEWER, principal.role)
        assertEquals(CredentialKind.SESSION, principal.credentialKind)
        assertTrue(principal.expiresAt.isAfter(Instant.now()))
        val token = viewerSession.token()!!.expose()
        assertEquals(viewer.user.id, flame.authenticate(token).userId())
        val member = acme.session.members().get(viewer.user.id)
        acme.session.members().changeRole(viewer.user.id, Role.MEMBER, member.membership.version)
        assertEquals(Role.MEMBER, flame.authenticate(token).principal().role)
        viewerSession.logout()
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.authenticate(token) } }

        // A URL of an unknown engine is a Validation of `url`.
        val url = assertThrows<FlameException.Validation> { runBlocking { Flame.open("mysql://x") } }
        assertEquals("url", url.field)
        flame.shutdown()
    }

    @Test
    fun keyRotationSkipsACredentialNoKeyOpens() = runBlocking {
        val url = "sqlite://${dir.resolve("rotation.db")}"
        val lost = EncryptionKey.fromBytes("lost", ByteArray(32) { 5 })
        val old = EncryptionKey.fromBytes("k1", ByteArray(32) { 6 })
        val telegram = IntegrationSettings.Messaging(MessagingPlatform.TELEGRAM, true, false, null, null, null, null)
        val first = Flame.open(url, OpenOptions(encryptionKey = lost))
        val acme = signUp(first, "Acme", "olga@acme.test")
        val orphan = acme.session.integrations().create("Orphan", telegram, mapOf("token" to "o"))
        first.shutdown()
        val second = Flame.open(url, OpenOptions(encryptionKey = old))
        val bot = second.session(acme.owner.id, acme.company.id).integrations().create("Bot", telegram, mapOf("token" to "b"))
        second.shutdown()
        val newKey = EncryptionKey.fromBytes("k2", ByteArray(32) { 8 })
        val rotated = Flame.open(url, OpenOptions(encryptionKey = newKey, previousKeys = listOf(old)))
        val done = rotated.rotateKeys(1u)
        assertEquals(1uL, done.resealed)
        assertEquals(1uL, done.remaining)
        assertEquals(listOf(orphan.id), done.skipped)
        val s = rotated.session(acme.owner.id, acme.company.id)
        assertEquals("b", s.integrations().credential(bot.id, "token").expose())
        rotated.shutdown()
    }

    @Test
    fun anExistingUserIsNotAddedWithoutConsent() = runBlocking {
        val flame = openStore()
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val evil = signUp(flame, "Evil", "mallory@evil.test")
        val taken = assertThrows<FlameException.Conflict> {
            runBlocking { evil.session.members().add(NewMember("olga@acme.test", "Olga", Role.ADMIN)) }
        }
        assertEquals("email", taken.entity)
        assertEquals(1, evil.session.members().list().items.size)
        val invite = evil.session.invitations().create(NewInvitation("olga@acme.test", Role.ADMIN))
        val joined = acme.session.account().acceptInvitation(invite.token.expose())
        assertEquals(evil.company.id, joined.companyId())
        assertEquals(Role.ADMIN, joined.role())
        flame.shutdown()
    }

    @Test
    fun otherAggregates() = runBlocking {
        val flame = openStore()
        val signed = signUp(flame, "Acme", "olga@acme.test")
        val session = signed.session

        // Sources: the defaults plus one of ours.
        val sources = session.sources()
        val before = sources.list()
        assertTrue(before.isNotEmpty())
        val fair = sources.create("Trade fair")
        assertEquals(before.size + 1, sources.list().size)
        val renamed = sources.rename(fair.id, "Hannover Messe", fair.version)
        assertEquals("Hannover Messe", renamed.name)

        // Activities: a note and a task, completed.
        val ada = session.contacts().create(NewContact(firstName = "Ada"))
        val deal = session.deals().create(NewDeal("Robots", 100L, "EUR", contactId = ada.id, sourceId = fair.id))
        assertEquals(fair.id, deal.sourceId)
        val activities = session.activities()
        val note = activities.create(NewActivity(ActivityKind.NOTE, "Met at the fair", contactId = ada.id))
        assertEquals(ActivityKind.NOTE, note.kind)
        val task = activities.create(
            NewActivity(
                ActivityKind.TASK,
                "Send the quote",
                subject = "Quote",
                dealId = deal.id,
                dueAt = Instant.now().plusSeconds(3600),
            ),
        )
        assertNull(task.doneAt)
        val done = activities.complete(task.id, task.version)
        assertNotNull(done.doneAt)
        assertEquals(2, activities.list(ActivityFilter()).items.size)
        assertEquals(listOf(task.id), activities.list(ActivityFilter(dealId = deal.id)).items.map { it.id })

        // Members, company, billing, plans.
        assertEquals(1, session.members().list().items.size)
        val company = session.company().get()
        assertEquals("Acme", company.name)
        assertEquals("Acme Inc.", session.company().rename("Acme Inc.", company.version).name)
        val subscription = session.billing().subscription()
        assertEquals(SubscriptionStatus.TRIALING, subscription.status)
        assertNotNull(subscription.trialEndsAt)
        val plan = session.billing().plan()
        assertEquals(subscription.planId, plan.id)
        assertTrue(flame.plans().list().any { it.id == plan.id && it.isDefault })

        // Events: the outbox saw the sign-up, the contact and the deal.
        val types = session.events().list().items.map { it.eventType }
        assertTrue(types.containsAll(listOf("company.created", "contact.created", "deal.created")), types.toString())
        val created = session.events().list().items.first { it.eventType == "deal.created" }
        assertTrue(created.payloadJson.contains(deal.id), created.payloadJson)

        // A second pipeline with stages of our own.
        val made = session.pipelines().create(
            NewPipeline("Renewals", listOf(NewStage("Due", StageKind.OPEN), NewStage("Renewed", StageKind.WON), NewStage("Churned", StageKind.LOST))),
        )
        assertEquals(3, made.stages.size)
        assertEquals(2, session.pipelines().list().size)
        flame.shutdown()
    }

    @Test
    fun accounts() = runBlocking {
        val dbPath = dir.resolve("accounts.db")
        val flame = Flame.open("sqlite://$dbPath")
        val password = "correct horse battery"
        val acme = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner"), password)
        flame.verifyEmail(flame.emailVerification(acme.owner.id).token.expose())

        // Login: success, and one answer for every failure.
        val session = flame.login("olga@acme.test", password)
        assertEquals(acme.owner.id, session.userId())
        val wrong = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.login("olga@acme.test", "wrong horse battery") }
        }
        val unknown = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.login("nobody@acme.test", password) }
        }
        assertEquals(wrong.reason, unknown.reason)
        val weak = assertThrows<FlameException.Validation> {
            runBlocking { flame.signUp(SignUp("Weak", "w@weak.test", "W"), "short") }
        }
        assertEquals("password", weak.field)

        // Lockout, recorded in the database: another handle with a small policy sees it.
        val strict = Flame.open("sqlite://$dbPath", OpenOptions(lockoutMaxFailures = 2u))
        repeat(2) {
            assertThrows<FlameException.Unauthenticated> { runBlocking { strict.login("olga@acme.test", "nope nope nope") } }
        }
        assertThrows<FlameException.Unauthenticated> { runBlocking { strict.login("olga@acme.test", password) } }
        strict.shutdown()

        // API tokens: a read-only token reads, and cannot write; a secret prints nothing.
        val created = acme.session.apiTokens().create(NewApiToken("reports", Scope.READ_ONLY))
        val secret = created.secret.expose()
        assertTrue(secret.startsWith("flame_api_"))
        assertFalse(created.toString().contains(secret), created.toString())
        val reader = flame.authenticate(secret)
        assertEquals(Scope.READ_ONLY, reader.principal().scope)
        assertEquals(0, reader.contacts().list().items.size)
        assertThrows<FlameException.Forbidden> { runBlocking { reader.contacts().create(NewContact(firstName = "Ada")) } }
        acme.session.apiTokens().revoke(created.token.id)
        assertThrows<FlameException.Unauthenticated> { runBlocking { reader.contacts().list() } }
        val blank = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.apiTokens().create(NewApiToken(" ", Scope.READ_WRITE)) }
        }
        assertEquals("name", blank.field)

        // Invitations, accepted once; ownership handed over.
        val invite = acme.session.invitations().create(NewInvitation("nina@acme.test", Role.ADMIN))
        val nina = flame.acceptInvitation(invite.token.expose(), "Nina", "nina's own password")
        assertEquals(Role.ADMIN, nina.role())
        assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.acceptInvitation(invite.token.expose(), "Nina", null) }
        }
        assertThrows<FlameException.Conflict> { runBlocking { acme.session.members().leave() } }
        assertEquals(Role.OWNER, acme.session.members().transferOwnership(nina.userId()).membership.role)
        assertEquals(listOf(Role.ADMIN), acme.session.account().companies().map { it.role })

        // Platform administration is for platform admins only.
        assertThrows<FlameException.Forbidden> { runBlocking { nina.platform().users() } }
        flame.setPlatformAdmin(acme.owner.id, true)
        assertEquals(2, acme.session.platform().users().items.size)
        assertEquals(1, acme.session.platform().companies().items.size)

        // Plan limits, and the read-only company after cancellation.
        val tiny = flame.plans().create(
            NewPlan("tiny", "Tiny", 0L, "EUR", BillingInterval.MONTH, 14u, PlanLimits(contacts = 1u), true),
        )
        flame.plans().setDefault(tiny.id)
        val small = flame.signUp(SignUp("Small", "s@small.test", "S"))
        small.session.contacts().create(NewContact(firstName = "One"))
        val limit = assertThrows<FlameException.PlanLimitExceeded> {
            runBlocking { small.session.contacts().create(NewContact(firstName = "Two")) }
        }
        assertEquals("contacts", limit.limit)
        assertEquals(1uL, small.session.billing().usage().contacts)
        val sub = small.session.billing().subscription()
        small.session.billing().cancel(sub.version)
        assertThrows<FlameException.ReadOnly> {
            runBlocking { small.session.company().rename("Smaller", 1) }
        }
        assertEquals(1, small.session.contacts().list().items.size)
        val revived = flame.subscriptions().recordPayment(
            small.company.id,
            NewPayment("ch_1", PaymentOutcome.SUCCEEDED, 1900L, "EUR", Instant.now().plusSeconds(30L * 86400)),
        )
        assertEquals(SubscriptionStatus.ACTIVE, revived.status)
        val counts = flame.health().counts!!.subscriptionsByStatus
        assertEquals(1uL, counts.active)
        assertEquals(1uL, counts.trialing)
        flame.shutdown()
    }

    @Test
    fun integrations() = runBlocking {
        val url = "sqlite://${dir.resolve("integrations.db")}"
        val key = EncryptionKey.fromBytes("k1", ByteArray(32) { 7 })
        assertFalse(key.toString().contains("7, 7"), key.toString())
        val flame = Flame.open(url, OpenOptions(encryptionKey = key, webhookAllowLoopback = true))
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val pipeline = acme.session.pipelines().defaultPipeline()

        // A Telegram bot that files every first message as a contact and a deal.
        val bot = acme.session.integrations().create(
            "Sales bot",
            IntegrationSettings.Messaging(
                MessagingPlatform.TELEGRAM, true, true, null, pipeline.id, null, "RUB",
            ),
            mapOf("token" to "123:SECRET", "secret_token" to "tg-secret"),
        )
        assertEquals(listOf("secret_token", "token"), bot.credentialFields)
        assertFalse(bot.toString().contains("SECRET"), bot.toString())
        assertEquals("123:SECRET", acme.session.integrations().credential(bot.id, "token").expose())

        val update = """{"update_id": 1, "message": {"message_id": 7, "from": {"id": 42, "is_bot": false,
            "first_name": "Ivan", "last_name": "Petrov"}, "chat": {"id": 42, "type": "private"},
            "date": 1441645532, "text": "How much?"}}""".toByteArray()
        val signed = mapOf("X-Telegram-Bot-Api-Secret-Token" to "tg-secret")
        val unsigned = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.inbound().handleWebhook(acme.company.id, bot.id, emptyMap(), update) }
        }
        assertTrue(unsigned.reason.contains("X-Telegram-Bot-Api-Secret-Token"), unsigned.reason)
        assertThrows<FlameException.Unauthenticated> {
            runBlocking {
                flame.inbound().handleWebhook(
                    acme.company.id, bot.id, mapOf("X-Telegram-Bot-Api-Secret-Token" to "guess"), update,
                )
            }
        }
        val first = flame.inbound().handleWebhook(acme.company.id, bot.id, signed, update).single()
        assertTrue(first.createdContact && first.createdDeal)
        assertEquals("Ivan", acme.session.contacts().get(first.contactId!!).firstName)
        assertEquals("RUB", acme.session.deals().get(first.dealId!!).value.currency)
        assertTrue(flame.inbound().handleWebhook(acme.company.id, bot.id, signed, update).single().duplicate)
        val malformed = assertThrows<FlameException.Validation> {
            runBlocking { flame.inbound().handleWebhook(acme.company.id, bot.id, signed, "{}".toByteArray()) }
        }
        assertTrue(malformed.field.isNotEmpty())

        // Webhook URLs pass the SSRF rules; the key rotates.
        val ssrf = assertThrows<FlameException.Validation> {
            runBlocking {
                acme.session.integrations().create(
                    "Hook", IntegrationSettings.Webhook("http://169.254.169.254/x", listOf("deal.*")),
                    mapOf("signing_secret" to "whsec_1"),
                )
            }
        }
        assertEquals("url", ssrf.field)
        // Bulk import: good lines imported, bad lines reported by line.
        val csv = "first_name,email\nAda,ada@example.com\nBad,not-an-email\n,x@example.com\n"
        val report = acme.session.contacts().importCsv(csv.toByteArray())
        assertEquals(1uL, report.imported)
        assertEquals(listOf(3uL, 4uL), report.errors.map { it.line })
        val file = dir.resolve("contacts.csv")
        java.nio.file.Files.writeString(file, "first_name\nGrace\nLinus\n")
        assertEquals(2uL, acme.session.contacts().importCsvFile(file.toString()).imported)
        val missing = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.contacts().importCsvFile(dir.resolve("missing.csv").toString()) }
        }
        assertEquals("path", missing.field)
        assertNull(report.failed)
        // A record too long to read stops the import; the report says where and why.
        val endless = ("first_name\nMargaret\n" + "x".repeat(300_000)).toByteArray()
        val stopped = acme.session.contacts().importCsv(endless)
        assertEquals(0uL, stopped.imported)
        val failed = stopped.failed!!
        assertEquals(2uL, failed.line)
        assertEquals("row", (failed.error as FlameException.Validation).field)
        flame.shutdown()
        val newKey = EncryptionKey.fromBase64("k2", java.util.Base64.getEncoder().encodeToString(ByteArray(32) { 9 }))
        val rotated = Flame.open(url, OpenOptions(encryptionKey = newKey, previousKeys = listOf(key)))
        // Two sealed credentials: the bot token and its webhook secret token.
        assertEquals(2uL, rotated.rotateKeys(10u).resealed)
        assertEquals(listOf("k2"), rotated.health().keysInUse!!.map { it.keyId })
        rotated.shutdown()
    }

    @Test
    fun leadsInvoicesAndWebhooks() = runBlocking {
        val key = EncryptionKey.fromBytes("k1", ByteArray(32) { 3 })
        val flame = Flame.open("sqlite://${dir.resolve("marketing.db")}", OpenOptions(encryptionKey = key, webhookAllowLoopback = true))
        val unlimited = flame.plans().create(
            NewPlan("big", "Big", 0L, "USD", BillingInterval.MONTH, 30u, PlanLimits(), false),
        )
        flame.plans().setDefault(unlimited.id)
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val pipeline = acme.session.pipelines().defaultPipeline()

        // A Meta lead becomes a contact and a deal, once.
        val meta = acme.session.integrations().create(
            "Meta ads", IntegrationSettings.Advertising(AdvertisingPlatform.META, true, pipeline.id, null, "RUB"),
            mapOf("app_secret" to "meta-app-secret"),
        )
        val lead = """{"created_time": "2024-11-05T16:20:01+0300", "id": "42",
            "field_data": [{"name": "full_name", "values": ["Anna Smirnova"]},
                           {"name": "email", "values": ["anna@example.com"]}]}""".toByteArray()
        // The lead must carry Meta's signature under the app secret: unsigned or wrongly
        // signed, it is refused and nothing is written.
        val unsignedLead = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.advertising().ingestMetaLead(acme.company.id, meta.id, emptyMap(), lead) }
        }
        assertTrue(unsignedLead.reason.contains("X-Hub-Signature-256"), unsignedLead.reason)
        assertThrows<FlameException.Unauthenticated> {
            runBlocking {
                flame.advertising().ingestMetaLead(
                    acme.company.id, meta.id, metaSigned("not-the-app-secret", lead), lead,
                )
            }
        }
        assertTrue(acme.session.contacts().list().items.isEmpty())
        val signedLead = metaSigned("meta-app-secret", lead)
        val first = flame.advertising().ingestMetaLead(acme.company.id, meta.id, signedLead, lead)
        assertFalse(first.duplicate)
        assertEquals("RUB", acme.session.deals().get(first.dealId!!).value.currency)
        assertTrue(flame.advertising().ingestMetaLead(acme.company.id, meta.id, signedLead, lead).duplicate)
        assertEquals(1uL, flame.advertising().importSpend(acme.company.id, meta.id, listOf(AdSpend("Autumn", "2024-11-05", 5000L, "USD"))))
        val costs = acme.session.reports().costBySource("2024-11-01", "2024-11-30")
        assertTrue(costs.any { it.leads == 1uL && it.spendMinor == 5000L }, costs.toString())

        // Winning a deal queues one invoice per accounting integration.
        acme.session.integrations().create(
            "1C", IntegrationSettings.Accounting(AccountingPlatform.ONE_C, 2000u, false, true),
        )
        val ada = acme.session.contacts().create(NewContact(firstName = "Ada"))
        val deal = acme.session.deals().create(NewDeal("Robots", 100000L, "USD", contactId = ada.id))
        acme.session.deals().win(deal.id, deal.version)
        val docs = acme.session.accounting().documents().items
        assertEquals(1, docs.size)
        assertEquals(DocumentStatus.QUEUED, docs[0].status)
        assertTrue(docs[0].documentJson!!.contains("flame.invoice.v1"))
        assertEquals(DocumentStatus.SENT, flame.accounting().markSent(acme.company.id, docs[0].id).status)

        // A webhook receives signed events from the worker.
        val received = java.util.concurrent.LinkedBlockingQueue<Pair<String, ByteArray>>()
        val server = com.sun.net.httpserver.HttpServer.create(java.net.InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/hook") { exchange ->
            received.add(exchange.requestHeaders.getFirst("Flame-Signature") to exchange.requestBody.readAllBytes())
            exchange.sendResponseHeaders(200, -1)
            exchange.close()
        }
        server.start()
        try {
            acme.session.integrations().create(
                "Hook",
                IntegrationSettings.Webhook("http://127.0.0.1:${server.address.port}/hook", listOf("contact.created")),
                mapOf("signing_secret" to "whsec_test"),
            )
            val grace = acme.session.contacts().create(NewContact(firstName = "Grace"))
            val worker = flame.webhookWorker()
            var delivered = 0uL
            repeat(5) { if (delivered == 0uL) delivered += worker.runOnce().delivered }
            assertEquals(1uL, delivered)
            val (signature, raw) = received.take()
            val body = String(raw)
            assertTrue(signature.startsWith("t=") && signature.contains("v1="), signature)
            assertTrue(body.contains("contact.created") && body.contains(grace.id), body)
            assertFalse(body.contains("whsec_test"))
            // The Kotlin receiver checks the signature with the shared secret.
            verifyWebhookSignature("whsec_test", signature, raw)
            verifyWebhookSignature("whsec_test", signature, raw, java.time.Duration.ofSeconds(60))
            assertThrows<FlameException.Unauthenticated> { verifyWebhookSignature("whsec_wrong", signature, raw) }
            assertThrows<FlameException.Unauthenticated> { verifyWebhookSignature("whsec_test", signature, raw + " ".toByteArray()) }
            assertEquals(DeliveryStatus.DELIVERED, acme.session.webhookDeliveries().list().items.single().status)
            // The four fields the hand-written mirror had lost: what the event is about, and when.
            val delivery = acme.session.webhookDeliveries().list().items.single()
            assertEquals("contact", delivery.aggregateType)
            assertEquals(grace.id, delivery.aggregateId)
            assertFalse(delivery.createdAt.isAfter(delivery.updatedAt))
            assertFalse(delivery.updatedAt.isBefore(delivery.deliveredAt!!))
        } finally {
            server.stop(0)
        }
        flame.shutdown()
    }

    /** A store whose default plan has no limits, so that one company can hold many integrations. */
    private suspend fun unlimitedStore(name: String): Flame {
        val flame = Flame.open("sqlite://${dir.resolve(name)}")
        val plan = flame.plans().create(NewPlan("big", "Big", 0L, "USD", BillingInterval.MONTH, 30u, PlanLimits(), false))
        flame.plans().setDefault(plan.id)
        return flame
    }

    @Test
    fun leadsTheHostBuilt() = runBlocking {
        val flame = unlimitedStore("leads.db")
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val globex = signUp(flame, "Globex", "hank@globex.test")
        val pipeline = acme.session.pipelines().defaultPipeline()
        val integrations = acme.session.integrations()
        val forms = integrations.create(
            "Landing forms", IntegrationSettings.Advertising(AdvertisingPlatform.OTHER, true, pipeline.id, null, "EUR"),
        )
        val meta = integrations.create(
            "Meta ads", IntegrationSettings.Advertising(AdvertisingPlatform.META, false, null, null, null),
        )
        val bot = integrations.create(
            "Bot", IntegrationSettings.Messaging(MessagingPlatform.TELEGRAM, true, false, null, null, null, null),
        )
        val theirs = globex.session.integrations().create(
            "Their forms", IntegrationSettings.Advertising(AdvertisingPlatform.OTHER, false, null, null, null),
        )

        // The kind filter of the integration list.
        assertEquals(listOf(forms.id, meta.id), integrations.list(IntegrationKind.ADVERTISING).map { it.id })
        assertEquals(listOf(bot.id), integrations.list(IntegrationKind.MESSAGING).map { it.id })
        assertEquals(emptyList<String>(), integrations.list(IntegrationKind.WEBHOOK).map { it.id })
        assertEquals(3, integrations.list().size)

        // The UTM tags of the landing page name the source; the lead opens a deal.
        val utm = utmFromUrl("https://shop.example/spring?utm_source=Instagram&utm_medium=cpc&utm_campaign=spring#top")
        assertEquals(Utm(source = "Instagram", medium = "cpc", campaign = "spring"), utm)
        val createdAt = Instant.parse("2024-11-05T13:20:01Z")
        val lead = Lead(
            AdvertisingPlatform.OTHER, "form-1", createdAt,
            name = "Anna Smirnova", email = "Anna@Example.com", phone = "+7 999 123-45-67",
            campaign = "Spring sale", utm = utm, answers = listOf(LeadAnswer("budget", "1000 EUR")),
        )
        val ads = flame.advertising()
        val first = ads.ingestLead(acme.company.id, forms.id, lead)
        assertTrue(first.createdContact)
        assertFalse(first.duplicate)
        val anna = acme.session.contacts().get(first.contactId)
        assertEquals(listOf("Anna", "Smirnova", "anna@example.com", "+79991234567"), listOf(anna.firstName, anna.lastName, anna.email, anna.phone))
        assertEquals("Instagram", acme.session.sources().get(first.sourceId).name)
        val deal = acme.session.deals().get(first.dealId!!)
        assertEquals(Money(0L, "EUR"), deal.value)
        assertEquals(first.sourceId, deal.sourceId)

        // The stored lead is the deal's attribution.
        val record = acme.session.leads().ofDeal(deal.id)!!
        assertEquals(first.leadId, record.id)
        assertEquals(forms.id, record.integrationId)
        assertEquals("form-1", record.externalId)
        assertEquals("Spring sale", record.campaign)
        assertEquals(utm, record.utm)
        assertEquals(createdAt, record.receivedAt)
        assertEquals(listOf(first.contactId, first.dealId, first.sourceId), listOf(record.contactId, record.dealId, record.sourceId))
        val manual = acme.session.deals().create(NewDeal("Walk-in", 100L, "EUR"))
        assertNull(acme.session.leads().ofDeal(manual.id))
        assertNull(globex.session.leads().ofDeal(deal.id), "another company's deal has no lead for them")

        // A redelivered lead changes nothing; a second person is a second lead, newest first.
        val again = ads.ingestLead(acme.company.id, forms.id, lead)
        assertTrue(again.duplicate)
        assertEquals(listOf(first.leadId, first.contactId, first.dealId), listOf(again.leadId, again.contactId, again.dealId))
        val second = ads.ingestLead(acme.company.id, forms.id, Lead(AdvertisingPlatform.OTHER, "form-2", Instant.now(), name = "Boris"))
        assertEquals("Other", acme.session.sources().get(second.sourceId).name, "no utm_source: the platform names the source")
        val page = acme.session.leads().list(PageRequest(limit = 1u))
        assertEquals(listOf(second.leadId), page.items.map { it.id })
        val rest = acme.session.leads().list(PageRequest(limit = 1u, cursor = page.nextCursor))
        assertEquals(listOf(first.leadId), rest.items.map { it.id })
        assertNull(rest.nextCursor)
        assertEquals(0, globex.session.leads().list().items.size)

        // Misuse: typed errors, and nothing is created.
        val contactsBefore = acme.session.contacts().list().items.size
        val fresh = Lead(AdvertisingPlatform.OTHER, "form-3", Instant.now(), name = "Vera", email = "vera@example.com")
        val foreign = assertThrows<FlameException.NotFound> { runBlocking { ads.ingestLead(acme.company.id, theirs.id, fresh) } }
        assertEquals("integration", foreign.entity)
        assertThrows<FlameException.NotFound> { runBlocking { ads.ingestLead(globex.company.id, forms.id, fresh) } }
        val notAds = assertThrows<FlameException.NotFound> { runBlocking { ads.ingestLead(acme.company.id, bot.id, fresh) } }
        assertEquals("advertising integration", notAds.entity)
        val platform = assertThrows<FlameException.Validation> { runBlocking { ads.ingestLead(acme.company.id, meta.id, fresh) } }
        assertEquals("platform", platform.field)
        val email = assertThrows<FlameException.Validation> {
            runBlocking { ads.ingestLead(acme.company.id, forms.id, fresh.copy(email = "not-an-email")) }
        }
        assertEquals("email", email.field)
        val blank = assertThrows<FlameException.Validation> {
            runBlocking { ads.ingestLead(acme.company.id, forms.id, fresh.copy(externalLeadId = " ")) }
        }
        assertEquals("external_lead_id", blank.field)
        val tags = assertThrows<FlameException.Validation> { utmFromUrl("?utm_campaign=" + "x".repeat(201)) }
        assertEquals("utm_campaign", tags.field)
        integrations.update(forms.id, forms.version, IntegrationPatch(enabled = false))
        val disabled = assertThrows<FlameException.Conflict> { runBlocking { ads.ingestLead(acme.company.id, forms.id, fresh) } }
        assertEquals("integration", disabled.entity)
        assertEquals(2, acme.session.leads().list().items.size)
        assertEquals(0, globex.session.leads().list().items.size)
        assertEquals(contactsBefore, acme.session.contacts().list().items.size)
        flame.shutdown()
    }

    @Test
    fun messagesTheHostParsed() = runBlocking {
        val flame = unlimitedStore("messages.db")
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val globex = signUp(flame, "Globex", "hank@globex.test")
        val integrations = acme.session.integrations()
        val vk = integrations.create(
            "VK community", IntegrationSettings.Messaging(MessagingPlatform.VK, true, false, null, null, null, null),
        )
        val telegram = integrations.create(
            "Bot", IntegrationSettings.Messaging(MessagingPlatform.TELEGRAM, true, false, null, null, null, null),
        )
        val ads = integrations.create(
            "Ads", IntegrationSettings.Advertising(AdvertisingPlatform.VK_ADS, false, null, null, null),
        )
        val message = InboundMessage(
            MessagingPlatform.VK, "2000000001:17", "2000000001", "id777", Instant.now(),
            senderName = "Pavel Durov", phoneRaw = "+7 999 765-43-21", phone = "+79997654321",
            text = "Is the Pro plan in stock?",
        )
        val inbound = flame.inbound()
        val first = inbound.handleMessage(acme.company.id, vk.id, message)
        assertEquals("2000000001:17", first.externalMessageId)
        assertTrue(first.createdContact)
        assertFalse(first.duplicate || first.createdDeal)
        assertNull(first.dealId)
        val pavel = acme.session.contacts().get(first.contactId!!)
        assertEquals(listOf("Pavel", "Durov", "+79997654321"), listOf(pavel.firstName, pavel.lastName, pavel.phone))
        val activity = acme.session.activities().get(first.activityId!!)
        assertEquals("Is the Pro plan in stock?", activity.body)
        assertEquals(pavel.id, activity.contactId)

        // Redelivered: nothing changes. The next message of the sender joins their contact.
        val again = inbound.handleMessage(acme.company.id, vk.id, message)
        assertTrue(again.duplicate)
        assertEquals(listOf(first.contactId, first.activityId), listOf(again.contactId, again.activityId))
        val next = inbound.handleMessage(acme.company.id, vk.id, message.copy(externalMessageId = "2000000001:18", text = "Hello?"))
        assertEquals(first.contactId, next.contactId)
        assertFalse(next.createdContact)

        // Misuse: typed errors, and nothing is written.
        val contactsBefore = acme.session.contacts().list().items.size
        val activitiesBefore = acme.session.activities().list().items.size
        val other = message.copy(externalMessageId = "2000000001:19")
        val platform = assertThrows<FlameException.Validation> { runBlocking { inbound.handleMessage(acme.company.id, telegram.id, other) } }
        assertEquals("platform", platform.field)
        val notMessaging = assertThrows<FlameException.NotFound> { runBlocking { inbound.handleMessage(acme.company.id, ads.id, other) } }
        assertEquals("messaging integration", notMessaging.entity)
        assertThrows<FlameException.NotFound> { runBlocking { inbound.handleMessage(globex.company.id, vk.id, other) } }
        assertThrows<FlameException.NotFound> { runBlocking { inbound.handleMessage(acme.company.id, UUID.randomUUID().toString(), other) } }
        val phone = assertThrows<FlameException.Validation> {
            runBlocking { inbound.handleMessage(acme.company.id, vk.id, other.copy(phone = "12345")) }
        }
        assertEquals("phone", phone.field)
        val noId = assertThrows<FlameException.Validation> {
            runBlocking { inbound.handleMessage(acme.company.id, vk.id, other.copy(externalMessageId = "  ")) }
        }
        assertEquals("external_message_id", noId.field)
        integrations.update(vk.id, vk.version, IntegrationPatch(enabled = false))
        val disabled = assertThrows<FlameException.Conflict> { runBlocking { inbound.handleMessage(acme.company.id, vk.id, other) } }
        assertEquals("integration", disabled.entity)
        assertEquals(contactsBefore, acme.session.contacts().list().items.size)
        assertEquals(activitiesBefore, acme.session.activities().list().items.size)
        assertEquals(0, globex.session.contacts().list().items.size)
        flame.shutdown()
    }

    @Test
    fun webhookSignaturesAreVerified() {
        // A signature made by flame-core's own test vector (HMAC-SHA256 of "<t>.<body>").
        val body = """{"type":"deal.won","id":"0190c0de-0000-7000-8000-000000000000"}""".toByteArray()
        val header = "t=1700000000,v1=28f914957e5c13d8b19dc0480a1d97539a7425c4393b95774da7ab3c26432261"
        val age = java.time.Duration.ofSeconds(Instant.now().epochSecond - 1_700_000_000L + 3600)
        verifyWebhookSignature("whsec_test", header, body, age)
        // With the default tolerance (five minutes) the old timestamp is a replay.
        val replay = assertThrows<FlameException.Unauthenticated> { verifyWebhookSignature("whsec_test", header, body) }
        assertTrue(replay.reason.contains("tolerance"), replay.reason)
        assertThrows<FlameException.Unauthenticated> { verifyWebhookSignature("whsec_other", header, body, age) }
        assertThrows<FlameException.Unauthenticated> { verifyWebhookSignature("whsec_test", header, "{}".toByteArray(), age) }
        val malformed = assertThrows<FlameException.Validation> { verifyWebhookSignature("whsec_test", "v1=abc", body, age) }
        assertEquals("Flame-Signature", malformed.field)
        assertFalse(malformed.toString().contains("whsec_test"))
    }

    @Test
    fun platformUsersAndHostSubscriptions() = runBlocking {
        val flame = openStore()
        val password = "correct horse battery"
        val acme = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner"), password)
        val globex = flame.signUp(SignUp("Globex", "hank@globex.test", "Hank"), password)
        flame.verifyEmail(flame.emailVerification(globex.owner.id).token.expose())
        flame.setPlatformAdmin(acme.owner.id, true)
        val platform = acme.session.platform()

        // A deactivated user is locked out and their sessions end; reactivated, they log in again.
        assertFalse(platform.deactivateUser(globex.owner.id).active)
        assertThrows<FlameException.Unauthenticated> { runBlocking { globex.session.contacts().list() } }
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.login("hank@globex.test", password) } }
        val back = platform.reactivateUser(globex.owner.id)
        assertTrue(back.active)
        assertEquals(globex.owner.id, back.id)
        val hank = flame.login("hank@globex.test", password)
        assertEquals(0, hank.contacts().list().items.size)
        assertThrows<FlameException.Unauthenticated> { runBlocking { globex.session.contacts().list() } }
        assertThrows<FlameException.NotFound> { runBlocking { platform.reactivateUser(UUID.randomUUID().toString()) } }
        assertThrows<FlameException.Forbidden> { runBlocking { hank.platform().reactivateUser(acme.owner.id) } }

        // The host reads a company's subscription as its members do.
        val subscriptions = flame.subscriptions()
        val acmeSub = subscriptions.get(acme.company.id)
        assertEquals(acme.session.billing().subscription(), acmeSub)
        assertEquals(SubscriptionStatus.TRIALING, acmeSub.status)
        assertThrows<FlameException.NotFound> { runBlocking { subscriptions.get(UUID.randomUUID().toString()) } }

        // A paid plan without trial days: its trial has lapsed at once, and the sweep stores it.
        val pro = flame.plans().create(NewPlan("pro", "Pro", 1900L, "EUR", BillingInterval.MONTH, 0u, PlanLimits(), true))
        flame.plans().setDefault(pro.id)
        val initech = flame.signUp(SignUp("Initech", "bill@initech.test", "Bill"))
        val lapsed = subscriptions.get(initech.company.id)
        assertEquals(SubscriptionStatus.EXPIRED, lapsed.status, "a lapsed trial reads as expired")
        assertThrows<FlameException.ReadOnly> { runBlocking { initech.session.contacts().create(NewContact(firstName = "Ada")) } }
        assertEquals(1uL, subscriptions.expireLapsedTrials())
        assertEquals(0uL, subscriptions.expireLapsedTrials())
        val stored = subscriptions.get(initech.company.id)
        assertEquals(SubscriptionStatus.EXPIRED, stored.status)
        assertEquals(lapsed.version + 1, stored.version)
        assertEquals(SubscriptionStatus.TRIALING, subscriptions.get(acme.company.id).status, "running trials are left alone")

        // The host expires a subscription at once: the company becomes read-only.
        val expired = subscriptions.expire(acme.company.id)
        assertEquals(SubscriptionStatus.EXPIRED, expired.status)
        assertEquals(acmeSub.version + 1, expired.version)
        assertThrows<FlameException.ReadOnly> { runBlocking { acme.session.contacts().create(NewContact(firstName = "Ada")) } }
        assertEquals(0, acme.session.contacts().list().items.size, "reads still work")
        val twice = assertThrows<FlameException.InvalidTransition> { runBlocking { subscriptions.expire(acme.company.id) } }
        assertEquals("subscription", twice.entity)
        assertThrows<FlameException.NotFound> { runBlocking { subscriptions.expire(UUID.randomUUID().toString()) } }
        val counts = flame.health().counts!!.subscriptionsByStatus
        assertEquals(2uL, counts.expired)
        assertEquals(1uL, counts.trialing)
        flame.shutdown()
    }

    @Test
    fun anExistingUserJoinsOnlyFromTheirOwnSession() = runBlocking {
        val flame = openStore()
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val evil = signUp(flame, "Evil", "mallory@evil.test")
        val invite = evil.session.invitations().create(NewInvitation("olga@acme.test", Role.OWNER))
        val token = invite.token.expose()
        assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.acceptInvitation(token, "Mallory", "evil horse battery staple") }
        }
        val conflict = assertThrows<FlameException.Conflict> {
            runBlocking { flame.signUp(SignUp("Evil Two", "olga@acme.test", "Mallory")) }
        }
        assertEquals("owner_email", conflict.entity)
        assertThrows<FlameException.Forbidden> { runBlocking { evil.session.account().acceptInvitation(token) } }
        val joined = acme.session.account().acceptInvitation(token)
        assertEquals(evil.company.id, joined.companyId())
        assertEquals(Role.OWNER, joined.role())
        val second = acme.session.account().createCompany("Acme Two")
        assertEquals("Acme Two", second.company.name)
        assertEquals(acme.owner.id, second.owner.id)
        assertEquals(3, acme.session.account().companies().size)
        flame.shutdown()
    }

    @Test
    fun emailVerification() = runBlocking {
        val flame = openStore()
        val password = "correct horse battery"
        val acme = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner"), password)
        assertNull(acme.owner.emailVerifiedAt)

        // An unverified email does not log in; the answer says why only to the right password.
        val wrong = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.login("olga@acme.test", "wrong horse battery") }
        }
        val unverified = assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.login("olga@acme.test", password) }
        }
        assertTrue(unverified.reason.contains("not verified"), unverified.reason)
        assertFalse(wrong.reason.contains("not verified"), wrong.reason)

        // The host mails the token; the owner of the address verifies it, once.
        val mail = flame.emailVerification(acme.owner.id)
        assertEquals("olga@acme.test", mail.email)
        val token = mail.token.expose()
        assertTrue(token.startsWith("flame_ver_"))
        assertFalse(mail.toString().contains(token), mail.toString())
        assertNotNull(flame.verifyEmail(token).emailVerifiedAt)
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.verifyEmail(token) } }
        val session = flame.login("olga@acme.test", password)

        // Logging out everywhere can revoke the API tokens too (by default they stay).
        val apiToken = session.apiTokens().create(NewApiToken("reports", Scope.READ_ONLY)).secret.expose()
        assertEquals(2uL, session.account().logoutEverywhere())
        flame.authenticate(apiToken)
        val again = flame.login("olga@acme.test", password)
        assertEquals(1uL, again.account().logoutEverywhere(revokeApiTokens = true))
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.authenticate(apiToken) } }

        // A mailed token takes an account back: a new password, every session revoked.
        val third = flame.login("olga@acme.test", password)
        flame.resetPassword(flame.emailVerification(acme.owner.id).token.expose(), "a much better passphrase")
        assertThrows<FlameException.Unauthenticated> { runBlocking { third.contacts().list() } }
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.login("olga@acme.test", password) } }
        flame.login("olga@acme.test", "a much better passphrase")

        // A host that verifies emails itself lets unverified users log in.
        flame.signUp(SignUp("Globex", "hank@globex.test", "Hank"), password)
        val byHost = Flame.open("sqlite://${dir.resolve("crm.db")}", OpenOptions(emailVerification = EmailVerification.BY_HOST))
        byHost.login("hank@globex.test", password)
        byHost.shutdown()
        flame.shutdown()
    }

    /** The headers Meta sends with `body`: its HMAC-SHA256 under `appSecret`. */
    private fun metaSigned(appSecret: String, body: ByteArray): Map<String, String> {
        val mac = javax.crypto.Mac.getInstance("HmacSHA256")
        mac.init(javax.crypto.spec.SecretKeySpec(appSecret.toByteArray(), "HmacSHA256"))
        val hex = mac.doFinal(body).joinToString("") { "%02x".format(it) }
        return mapOf("X-Hub-Signature-256" to "sha256=$hex")
    }
}
