package dev.flame

import dev.flame.core.*
import java.nio.file.Path
import java.time.Instant
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
 * Every operation of docs/bindings.md that FlameTest leaves out, and the errors it does not
 * provoke (Schema, Storage, Crypto): paged and filtered accounting documents and webhook
 * deliveries, row import, accounts, members, stages, deletes, VK leads and Meta's handshake.
 * scripts/check-bindings fails when an operation of the table is called by no Kotlin test.
 */
class SurfaceTest {
    @TempDir
    lateinit var dir: Path

    private fun url(name: String) = "sqlite://${dir.resolve(name)}"

    /** A store whose default plan has no limits (many integrations in one company). */
    private suspend fun unlimited(name: String, options: OpenOptions = OpenOptions()): Flame {
        val flame = Flame.open(url(name), options)
        val plan = flame.plans().create(NewPlan("big", "Big", 0L, "USD", BillingInterval.MONTH, 30u, PlanLimits(), false))
        flame.plans().setDefault(plan.id)
        return flame
    }

    private suspend fun signUp(flame: Flame, company: String, email: String): SignedUp =
        flame.signUp(SignUp(companyName = company, ownerEmail = email, ownerName = "Olga Owner"))

    @Test
    fun accountingDocumentsArePagedAndFiltered() = runBlocking {
        val flame = unlimited("accounting.db")
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val onWin = acme.session.integrations().create(
            "1C", IntegrationSettings.Accounting(AccountingPlatform.ONE_C, 2000u, false, true),
        )
        val onDemand = acme.session.integrations().create(
            "Xero", IntegrationSettings.Accounting(AccountingPlatform.XERO, 2000u, false, false),
        )
        val ada = acme.session.contacts().create(NewContact(firstName = "Ada"))
        val deal = acme.session.deals().create(NewDeal("Robots", 100000L, "USD", contactId = ada.id))
        acme.session.deals().win(deal.id, deal.version)
        assertEquals(1, acme.session.accounting().documents().items.size)
        // Queueing on demand adds the integration that does not invoice on win; the other stands.
        val queued = acme.session.accounting().queueInvoice(deal.id)
        assertEquals(setOf(onWin.id, onDemand.id), queued.map { it.integrationId }.toSet())

        // Two pages of one, then the end.
        val accounting = acme.session.accounting()
        val first = accounting.documents(page = PageRequest(limit = 1u))
        assertEquals(1, first.items.size)
        assertNotNull(first.nextCursor)
        val second = accounting.documents(page = PageRequest(limit = 1u, cursor = first.nextCursor))
        assertEquals(1, second.items.size)
        assertNull(second.nextCursor)
        assertEquals(queued.map { it.id }.toSet(), (first.items + second.items).map { it.id }.toSet())
        // Filters that exclude.
        val xero = accounting.documents(DocumentFilter(integrationId = onDemand.id))
        assertEquals(listOf(onDemand.id), xero.items.map { it.integrationId })
        assertTrue(accounting.documents(DocumentFilter(status = DocumentStatus.SENT)).items.isEmpty())
        assertEquals(2, accounting.documents(DocumentFilter(dealId = deal.id)).items.size)
        assertEquals(xero.items[0], accounting.get(xero.items[0].id))

        // The trusted hand-over reads the same documents by company, paged and filtered.
        val handOver = flame.accounting()
        val page1 = handOver.list(acme.company.id, DocumentFilter(status = DocumentStatus.QUEUED), PageRequest(limit = 1u))
        val page2 = handOver.list(acme.company.id, DocumentFilter(status = DocumentStatus.QUEUED), PageRequest(limit = 1u, cursor = page1.nextCursor))
        assertEquals(2, (page1.items + page2.items).map { it.id }.toSet().size)
        assertNull(page2.nextCursor)
        val failed = handOver.markFailed(acme.company.id, xero.items[0].id, "rejected by Xero")
        assertEquals(DocumentStatus.FAILED, failed.status)
        assertEquals("rejected by Xero", failed.failureReason)
        assertEquals(failed, handOver.get(acme.company.id, failed.id))
        assertEquals(listOf(failed.id), handOver.list(acme.company.id, DocumentFilter(status = DocumentStatus.FAILED)).items.map { it.id })
        // Another company's document is not found, through either door.
        val other = signUp(flame, "Other", "o@other.test")
        assertThrows<FlameException.NotFound> { runBlocking { handOver.get(other.company.id, failed.id) } }
        assertThrows<FlameException.NotFound> { runBlocking { other.session.accounting().get(failed.id) } }
        assertThrows<FlameException.Validation> { runBlocking { accounting.documents(DocumentFilter(dealId = "nope")) } }
        flame.shutdown()
    }

    @Test
    fun webhookDeliveriesArePagedFilteredAndRetried() = runBlocking {
        val key = EncryptionKey.fromBytes("k1", ByteArray(32) { 4 })
        val flame = unlimited("hooks.db", OpenOptions(encryptionKey = key, webhookAllowLoopback = true))
        val acme = signUp(flame, "Acme", "olga@acme.test")
        // Nothing listens on port 1: every post fails, and one attempt makes a delivery dead.
        val contactsHook = acme.session.integrations().create(
            "Contacts hook", IntegrationSettings.Webhook("http://127.0.0.1:1/contacts", listOf("contact.created")),
            mapOf("signing_secret" to "whsec_a"),
        )
        val dealsHook = acme.session.integrations().create(
            "Deals hook", IntegrationSettings.Webhook("http://127.0.0.1:1/deals", listOf("deal.created")),
            mapOf("signing_secret" to "whsec_b"),
        )
        acme.session.contacts().create(NewContact(firstName = "Ada"))
        acme.session.contacts().create(NewContact(firstName = "Grace"))
        acme.session.deals().create(NewDeal("Robots", 100000L, "USD"))

        val worker = flame.webhookWorker(WebhookOptions(maxAttempts = 1u, batch = 7u, pollInterval = java.time.Duration.ofMillis(50)))
        assertEquals(1u, worker.options().maxAttempts)
        assertEquals(7u, worker.options().batch)
        assertEquals(java.time.Duration.ofMillis(50), worker.options().pollInterval)
        val badBatch = assertThrows<FlameException.Validation> { flame.webhookWorker(WebhookOptions(batch = 0u)) }
        assertEquals("batch", badBatch.field)
        var dead = 0uL
        repeat(5) { if (dead < 3uL) dead += worker.runOnce().dead }
        assertEquals(3uL, dead)

        val deliveries = acme.session.webhookDeliveries()
        val mine = WebhookDeliveryFilter(integrationId = contactsHook.id)
        val first = deliveries.list(mine, PageRequest(limit = 1u))
        assertEquals(1, first.items.size)
        assertNotNull(first.nextCursor)
        val second = deliveries.list(mine, PageRequest(limit = 1u, cursor = first.nextCursor))
        assertEquals(1, second.items.size)
        assertNull(second.nextCursor)
        assertTrue((first.items + second.items).all { it.integrationId == contactsHook.id && it.eventType == "contact.created" })
        assertEquals(listOf(dealsHook.id), deliveries.list(WebhookDeliveryFilter(integrationId = dealsHook.id)).items.map { it.integrationId })
        assertTrue(deliveries.list(WebhookDeliveryFilter(status = DeliveryStatus.DELIVERED)).items.isEmpty())
        assertEquals(3, deliveries.list(WebhookDeliveryFilter(status = DeliveryStatus.DEAD)).items.size)

        val one = first.items[0]
        assertEquals(DeliveryStatus.DEAD, deliveries.get(one.id).status)
        assertNotNull(deliveries.get(one.id).lastError)
        val retried = deliveries.retry(one.id)
        assertEquals(DeliveryStatus.PENDING, retried.status)
        assertEquals(0u, retried.attempts)
        assertEquals(2, deliveries.list(WebhookDeliveryFilter(status = DeliveryStatus.DEAD)).items.size)
        assertThrows<FlameException.Validation> { runBlocking { deliveries.get("not-an-id") } }

        // The background worker runs between start and stop.
        assertFalse(worker.running())
        worker.start()
        assertTrue(worker.running())
        worker.stop()
        assertFalse(worker.running())
        flame.shutdown()
    }

    @Test
    fun rowsImportLikeCreate() = runBlocking {
        val flame = Flame.open(url("import.db"))
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val report = acme.session.contacts().importRows(
            listOf(
                NewContact(firstName = "Ada", email = "ada@example.test"),
                NewContact(firstName = "Bad", email = "not an email"),
                NewContact(firstName = "Grace", phone = "+44 20 7946 0958"),
            ),
        )
        assertEquals(2uL, report.imported)
        assertEquals(1uL, report.rejected)
        assertEquals(2uL, report.errors.single().line)
        assertEquals("email", report.errors.single().field)
        assertNull(report.failed)
        assertEquals(setOf("Ada", "Grace"), acme.session.contacts().list().items.map { it.firstName }.toSet())
        val badOwner = assertThrows<FlameException.Validation> {
            runBlocking { acme.session.contacts().importRows(listOf(NewContact(firstName = "X", ownerId = "nope"))) }
        }
        assertEquals("owner_id", badOwner.field)
        assertEquals(2, acme.session.contacts().list().items.size)
        flame.shutdown()
    }

    @Test
    fun schemaStorageAndCryptoErrorsArriveTyped() = runBlocking {
        // Schema: a verify-only open of a store that was never migrated.
        val schema = assertThrows<FlameException.Schema> {
            runBlocking { Flame.open(url("empty.db"), OpenOptions(verifyOnly = true)) }
        }
        assertTrue(schema.reason.contains("migration"), schema.reason)

        // Crypto: a credential to seal without an encryption key; then the wrong key.
        val plain = Flame.open(url("crypto.db"))
        val acme = signUp(plain, "Acme", "olga@acme.test")
        val telegram = IntegrationSettings.Messaging(MessagingPlatform.TELEGRAM, true, false, null, null, null, null)
        val noKey = assertThrows<FlameException.Crypto> {
            runBlocking { acme.session.integrations().create("Bot", telegram, mapOf("token" to "123:SECRET")) }
        }
        assertTrue(noKey.reason.contains("encryption key"), noKey.reason)
        assertFalse(noKey.reason.contains("SECRET"))
        assertTrue(acme.session.integrations().list().isEmpty())
        plain.shutdown()
        val keyed = Flame.open(url("crypto.db"), OpenOptions(encryptionKey = EncryptionKey.fromBytes("k1", ByteArray(32) { 1 })))
        val bot = keyed.session(acme.owner.id, acme.company.id).integrations().create("Bot", telegram, mapOf("token" to "123:SECRET"))
        keyed.shutdown()
        val wrong = Flame.open(url("crypto.db"), OpenOptions(encryptionKey = EncryptionKey.fromBytes("k1", ByteArray(32) { 9 })))
        val wrongKey = assertThrows<FlameException.Crypto> {
            runBlocking { wrong.session(acme.owner.id, acme.company.id).integrations().credential(bot.id, "token") }
        }
        assertFalse(wrongKey.reason.contains("SECRET"))

        // Storage: a call on a store after shutdown.
        val session = wrong.session(acme.owner.id, acme.company.id)
        wrong.shutdown()
        val closed = assertThrows<FlameException.Storage> { runBlocking { session.contacts().list() } }
        assertTrue(closed.reason.contains("closed"), closed.reason)
    }

    @Test
    fun accountsMembersAndBilling() = runBlocking {
        val flame = Flame.open(url("accounts.db"))
        assertTrue(flame.schemaVersion() > 0)
        val acme = signUp(flame, "Acme", "olga@acme.test")
        assertTrue(acme.session.expiresAt().isAfter(Instant.now()))
        flame.verifyEmail(flame.emailVerification(acme.owner.id).token.expose())

        // A password set by the host, then changed by the user.
        flame.setPassword(acme.owner.id, "first horse battery")
        val session = flame.login("olga@acme.test", "first horse battery")
        assertEquals("olga@acme.test", session.account().user().email)
        session.account().changePassword("first horse battery", "second horse battery")
        assertThrows<FlameException.Unauthenticated> { runBlocking { flame.login("olga@acme.test", "first horse battery") } }
        val again = flame.login("olga@acme.test", "second horse battery")

        // A second company, and switching to it.
        val second = again.account().createCompany("Acme Labs")
        val switched = again.account().switchCompany(second.company.id)
        assertEquals(second.company.id, switched.companyId())
        assertEquals(setOf("Acme", "Acme Labs"), again.account().companies().map { it.companyName }.toSet())

        // Invitations: open until revoked.
        val invite = again.invitations().create(NewInvitation("nina@acme.test", Role.MEMBER))
        assertEquals(listOf(invite.invitation.id), again.invitations().listOpen().map { it.id })
        assertNotNull(again.invitations().revoke(invite.invitation.id).revokedAt)
        assertTrue(again.invitations().listOpen().isEmpty())

        // Members: a role changed, one removed, one who leaves.
        val members = again.members()
        val max = members.add(NewMember("max@acme.test", "Max Manager", Role.MANAGER))
        val promoted = members.changeRole(max.user.id, Role.ADMIN, max.membership.version)
        assertEquals(Role.ADMIN, promoted.role)
        members.remove(max.user.id)
        assertThrows<FlameException.NotFound> { runBlocking { members.get(max.user.id) } }
        val vera = members.add(NewMember("vera@acme.test", "Vera Viewer", Role.VIEWER))
        flame.session(vera.user.id, acme.company.id).members().leave()
        assertEquals(listOf("olga@acme.test"), members.list().items.map { it.user.email })

        // Plans and billing.
        val pro = flame.plans().create(NewPlan("pro", "Pro", 4900L, "USD", BillingInterval.MONTH, 0u, PlanLimits(), true))
        assertTrue(flame.plans().listPublic().any { it.id == pro.id })
        val billing = again.billing()
        val changed = billing.changePlan(pro.id, billing.subscription().version)
        assertEquals(pro.id, changed.planId)
        assertTrue(billing.payments().isEmpty())
        flame.subscriptions().recordPayment(acme.company.id, NewPayment("pay_1", PaymentOutcome.SUCCEEDED, 4900L, "USD", periodEnd = Instant.now().plusSeconds(30L * 86400)))
        assertEquals(listOf("pay_1"), billing.payments().map { it.providerRef })
        assertEquals(1uL, billing.usage().seats)

        // Deleting a company: its sessions are useless afterwards.
        val labs = switched.company()
        labs.delete(labs.get().version)
        assertThrows<FlameException> { runBlocking { switched.company().get() } }
        assertEquals(listOf("Acme"), again.account().companies().map { it.companyName })
        flame.shutdown()
    }

    @Test
    fun stagesDealsAndDeletes() = runBlocking {
        val flame = unlimited("records.db")
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val pipelines = acme.session.pipelines()
        val rentals = pipelines.create(
            NewPipeline("Rentals", listOf(NewStage("Ask", StageKind.OPEN), NewStage("Signed", StageKind.WON), NewStage("Gone", StageKind.LOST))),
        )
        val visit = pipelines.addStage(rentals.pipeline.id, NewStage("Visit", StageKind.OPEN, 30u))
        val viewing = pipelines.updateStage(visit.id, StagePatch(name = "Viewing"), visit.version)
        assertEquals("Viewing", pipelines.stage(visit.id).name)
        assertEquals(listOf("Ask", "Signed", "Gone", "Viewing"), pipelines.stages(rentals.pipeline.id).map { it.name })
        pipelines.removeStage(viewing.id, viewing.version)
        assertEquals(listOf("Ask", "Signed", "Gone"), pipelines.stages(rentals.pipeline.id).map { it.name })
        fun stage(name: String) = rentals.stages.first { it.name == name }.id

        val deals = acme.session.deals()
        val flat = deals.create(NewDeal("Flat on Main St", 150000L, "EUR", pipelineId = rentals.pipeline.id))
        val lost = deals.loseInStage(flat.id, stage("Gone"), "Found another flat", flat.version)
        assertEquals(DealStatus.LOST, lost.status)
        assertEquals(stage("Gone"), lost.stageId)
        val reopened = deals.reopen(lost.id, stage("Ask"), lost.version)
        assertEquals(DealStatus.OPEN, reopened.status)
        deals.delete(reopened.id, reopened.version)
        assertThrows<FlameException.NotFound> { runBlocking { deals.get(flat.id) } }
        pipelines.delete(rentals.pipeline.id, pipelines.get(rentals.pipeline.id).version)
        assertFalse(pipelines.list().any { it.id == rentals.pipeline.id })

        val ada = acme.session.contacts().create(NewContact(firstName = "Ada"))
        val note = acme.session.activities().create(NewActivity(ActivityKind.NOTE, "Called back", contactId = ada.id))
        acme.session.activities().delete(note.id, note.version)
        assertThrows<FlameException.NotFound> { runBlocking { acme.session.activities().get(note.id) } }
        acme.session.contacts().delete(ada.id, ada.version)
        assertThrows<FlameException.NotFound> { runBlocking { acme.session.contacts().get(ada.id) } }
        val fair = acme.session.sources().create("Trade fair")
        acme.session.sources().delete(fair.id, fair.version)
        assertFalse(acme.session.sources().list().any { it.id == fair.id })
        val books = acme.session.integrations().create(
            "Books", IntegrationSettings.Accounting(AccountingPlatform.QUICK_BOOKS, 0u, false, false),
        )
        acme.session.integrations().delete(books.id, books.version)
        assertThrows<FlameException.NotFound> { runBlocking { acme.session.integrations().get(books.id) } }
        flame.shutdown()
    }

    @Test
    fun vkLeadsAndMetasHandshake() = runBlocking {
        val key = EncryptionKey.fromBytes("k1", ByteArray(32) { 2 })
        val flame = unlimited("leads.db", OpenOptions(encryptionKey = key))
        val acme = signUp(flame, "Acme", "olga@acme.test")
        val vk = acme.session.integrations().create(
            "VK ads", IntegrationSettings.Advertising(AdvertisingPlatform.VK_ADS, false, null, null, null),
        )
        // VK's confirmation callback carries no lead; a lead-form callback becomes a contact.
        val confirmation = """{"type": "confirmation", "group_id": 123456789}""".toByteArray()
        assertNull(flame.advertising().ingestVkLead(acme.company.id, vk.id, emptyMap(), confirmation, Instant.now()))
        val lead = """{"group_id": 123456789, "type": "lead_forms_new", "event_id": "3d1b8e5a", "v": "5.199",
            "object": {"lead_id": 1001, "group_id": 123456789, "user_id": 987654, "form_id": 3, "form_name": "Consultation",
            "ad_id": 55501, "answers": [{"key": "first_name", "question": "Name", "answer": "Ivan"},
            {"key": "email", "question": "Email", "answer": "ivan@example.ru"}]}}""".toByteArray()
        val outcome = flame.advertising().ingestVkLead(acme.company.id, vk.id, emptyMap(), lead, Instant.now())
        assertNotNull(outcome)
        assertEquals("ivan@example.ru", acme.session.contacts().get(outcome!!.contactId).email)

        // Meta's subscription handshake answers the challenge only for the verify token.
        val whatsapp = acme.session.integrations().create(
            "WhatsApp",
            IntegrationSettings.Messaging(MessagingPlatform.WHATS_APP, true, false, null, null, null, null, "106540352242922"),
            mapOf("app_secret" to "meta-secret", "verify_token" to "hub-verify"),
        )
        assertEquals(
            "ch4llenge",
            flame.inbound().verifySubscription(acme.company.id, whatsapp.id, "subscribe", "hub-verify", "ch4llenge"),
        )
        assertThrows<FlameException.Unauthenticated> {
            runBlocking { flame.inbound().verifySubscription(acme.company.id, whatsapp.id, "subscribe", "guess", "c") }
        }
        flame.shutdown()
    }
}
