package dev.flame

import dev.flame.core.*
import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * CSV export of contacts, organizations and deals, and CSV import of organizations and deals,
 * through the generated Kotlin bindings: an export imports into another company and exports
 * there again identically; bad rows name their column; bad paths are Validation errors.
 */
class CsvTest {
    @TempDir
    lateinit var dir: Path

    /** The same custom field for every entity. */
    private suspend fun defineTier(s: Session) {
        for (entity in listOf(CustomEntity.CONTACT, CustomEntity.ORGANIZATION, CustomEntity.DEAL)) {
            s.customFields().define(NewCustomField(entity, "tier", "Tier", CustomFieldKind.TEXT))
        }
    }

    /** The records of a CSV text after its header, sorted (no cell here spans lines). */
    private fun rows(csv: String): List<String> = csv.lines().drop(1).filter { it.isNotEmpty() }.sorted()

    @Test
    fun anExportImportsIntoAnotherCompanyAsItWas() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("csv.db")}")
        val acme = flame.signUp(SignUp(companyName = "Acme", ownerEmail = "olga@acme.test", ownerName = "Olga")).session
        defineTier(acme)
        val org = acme.organizations().create(
            NewOrganization(name = "Engines, Ltd", domain = "engines.example", custom = mapOf("tier" to CustomValue.Text("gold"))),
        )
        acme.organizations().addTag(org.id, "Partner")
        val ada = acme.contacts().create(
            NewContact(firstName = "Ada", email = "ada@example.com", organizationId = org.id, custom = mapOf("tier" to CustomValue.Text("silver"))),
        )
        acme.contacts().addTag(ada.id, "VIP")
        val deal = acme.deals().create(NewDeal("Looms", 123_450, "EUR", contactId = ada.id, organizationId = org.id))
        acme.deals().addTag(deal.id, "Q1")
        acme.deals().win(deal.id, deal.version)
        acme.deals().create(NewDeal("Open one", 99, "JPY"))

        val orgs = acme.organizations().exportCsv()
        val contacts = acme.contacts().exportCsv()
        val deals = acme.deals().exportCsv()
        assertEquals(
            "name,domain,phone,phone_region,street,city,region,postal_code,country,website,industry,size,owner,tags,custom.tier",
            orgs.lines().first(),
        )
        assertEquals("first_name,last_name,email,phone,phone_region,organization,owner,tags,custom.tier", contacts.lines().first())
        assertTrue(contacts.contains("Ada,,ada@example.com,,,engines.example,olga@acme.test,VIP,silver"), contacts)
        assertTrue(deals.contains("Looms,1234.50,EUR,Sales,Won,won,,ada@example.com,engines.example,,olga@acme.test,,Q1,"), deals)
        // Any list filter.
        val won = acme.deals().exportCsv(DealFilter(status = DealStatus.WON))
        assertEquals(listOf("Looms"), rows(won).map { it.substringBefore(',') })

        // Into another company of the same owner, with the same custom field.
        val globex = acme.account().createCompany("Globex").session
        defineTier(globex)
        assertEquals(1uL, globex.organizations().importCsv(orgs.toByteArray()).imported)
        assertEquals(1uL, globex.contacts().importCsv(contacts.toByteArray()).imported)
        val report = globex.deals().importCsv(deals.toByteArray())
        assertEquals(2uL, report.imported)
        assertNull(report.failed)
        assertEquals(rows(orgs), rows(globex.organizations().exportCsv()))
        assertEquals(rows(contacts), rows(globex.contacts().exportCsv()))
        assertEquals(rows(deals), rows(globex.deals().exportCsv()))
        val imported = globex.deals().list(DealFilter(status = DealStatus.WON)).items.single()
        assertEquals(globex.companyId(), imported.companyId)
        assertEquals(listOf("Q1"), imported.tags)

        // Files: written streamed, read back the same; a bad path is a Validation error on path.
        val orgsFile = dir.resolve("orgs.csv")
        assertEquals(1uL, acme.organizations().exportCsvFile(orgsFile.toString()))
        assertEquals(orgs, Files.readString(orgsFile))
        val contactsFile = dir.resolve("contacts.csv")
        assertEquals(1uL, acme.contacts().exportCsvFile(contactsFile.toString(), ContactFilter(tags = listOf("vip"))))
        assertEquals(contacts, Files.readString(contactsFile))
        val dealsFile = dir.resolve("deals.csv")
        assertEquals(2uL, acme.deals().exportCsvFile(dealsFile.toString()))
        val hooli = acme.account().createCompany("Hooli").session
        defineTier(hooli)
        assertEquals(1uL, hooli.organizations().importCsvFile(orgsFile.toString()).imported)
        assertEquals(1uL, hooli.contacts().importCsvFile(contactsFile.toString()).imported)
        assertEquals(2uL, hooli.deals().importCsvFile(dealsFile.toString()).imported)
        val missing = dir.resolve("no/such/dir/x.csv").toString()
        for (call in listOf<suspend () -> Unit>(
            { acme.contacts().exportCsvFile(missing) },
            { acme.organizations().exportCsvFile(missing) },
            { acme.deals().exportCsvFile(missing) },
            { acme.organizations().importCsvFile(missing) },
            { acme.deals().importCsvFile(missing) },
        )) {
            val e = assertThrows<FlameException.Validation> { runBlocking { call() } }
            assertEquals("path", e.field)
        }
        flame.shutdown()
    }

    @Test
    fun badRowsNameTheirColumnAndABadHeaderImportsNothing() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("bad.db")}")
        val acme = flame.signUp(SignUp(companyName = "Acme", ownerEmail = "olga@acme.test", ownerName = "Olga")).session
        val deals = acme.deals().importCsv(
            ("title,currency,stage,status,lost_reason,assignee\n" +
                "Good,USD,Lost,,Too dear,\n" +
                "Nowhere,USD,Nowhere,,,\n" +
                "No reason,USD,Lost,,,\n" +
                "Stranger,USD,,,,nobody@acme.test\n").toByteArray(),
        )
        assertEquals(1uL, deals.imported)
        assertEquals(listOf(3uL to "stage", 4uL to "lost_reason", 5uL to "assignee"), deals.errors.map { it.line to it.field })
        assertEquals(DealStatus.LOST, acme.deals().list().items.single().status)
        val orgs = acme.organizations().importCsv("name,domain\nA,a.example\nB,a.example\n,\n".toByteArray())
        assertEquals(1uL, orgs.imported)
        assertEquals(listOf(3uL to "domain", 4uL to "name"), orgs.errors.map { it.line to it.field })
        val header = assertThrows<FlameException.Validation> {
            runBlocking { acme.organizations().importCsv("name,fax\nA,1\n".toByteArray()) }
        }
        assertEquals("header", header.field)
        val dealHeader = assertThrows<FlameException.Validation> {
            runBlocking { acme.deals().importCsv("title\nA\n".toByteArray()) }
        }
        assertEquals("header", dealHeader.field)
        assertEquals(1, acme.organizations().list().items.size)
        flame.shutdown()
    }
}
