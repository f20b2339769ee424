package dev.flame

import dev.flame.core.*
import java.nio.file.Path
import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * Custom fields through the generated Kotlin: definitions, typed values on contacts, filters
 * by equality and range, a migration of values, and the typed errors of bad input.
 */
class CustomFieldsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun definitionsValuesAndFilters() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("custom.db")}")
        val owner = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner")).session
        val fields = owner.customFields()
        val industry = fields.define(
            NewCustomField(CustomEntity.CONTACT, "industry", "Industry", CustomFieldKind.SELECT, options = listOf("Retail", "Banking")),
        )
        val revenue = fields.define(NewCustomField(CustomEntity.CONTACT, "revenue", "Revenue", CustomFieldKind.NUMBER))
        fields.define(NewCustomField(CustomEntity.CONTACT, "met", "First met", CustomFieldKind.DATETIME))
        assertEquals(listOf("industry", "revenue", "met"), fields.list(CustomEntity.CONTACT).map { it.key })
        assertEquals(industry, fields.get(industry.id))
        assertTrue(fields.list(CustomEntity.DEAL).isEmpty())

        val met = Instant.parse("2026-12-04T10:30:00Z")
        val contacts = owner.contacts()
        val ada = contacts.create(
            NewContact(
                firstName = "Ada",
                custom = mapOf(
                    "industry" to CustomValue.Text("retail"),
                    "revenue" to CustomValue.Number("1250.50"),
                    "met" to CustomValue.Datetime(met),
                ),
            ),
        )
        assertEquals(CustomValue.Text("Retail"), ada.custom["industry"])
        assertEquals(CustomValue.Number("1250.5"), ada.custom["revenue"])
        assertEquals(CustomValue.Datetime(met), ada.custom["met"])
        assertEquals(ada, contacts.get(ada.id))
        contacts.create(NewContact(firstName = "Bob", custom = mapOf("industry" to CustomValue.Text("Banking"), "revenue" to CustomValue.Text("10"))))

        val retail = contacts.list(
            ContactFilter(custom = listOf(CustomCondition("industry", CustomMatch.Equals(CustomValue.Text("Retail"))))),
        )
        assertEquals(listOf(ada.id), retail.items.map { it.id })
        val small = contacts.list(
            ContactFilter(custom = listOf(CustomCondition("revenue", CustomMatch.Range(null, CustomValue.Number("100"))))),
        )
        assertEquals(listOf("Bob"), small.items.map { it.firstName })

        val bad = assertThrows<FlameException.Validation> {
            runBlocking { contacts.create(NewContact(firstName = "X", custom = mapOf("revenue" to CustomValue.Text("lots")))) }
        }
        assertEquals("custom.revenue", bad.field)
        assertThrows<FlameException.Validation> {
            runBlocking { contacts.create(NewContact(firstName = "X", custom = mapOf("nope" to CustomValue.Bool(true)))) }
        }

        val updated = contacts.update(ada.id, ada.version, ContactPatch(custom = mapOf("revenue" to null)))
        assertFalse(updated.custom.containsKey("revenue"))
        assertEquals(CustomValue.Text("Retail"), updated.custom["industry"])

        // Removing an option in use is refused unless its values move.
        assertThrows<FlameException.Conflict> {
            runBlocking { fields.update(industry.id, industry.version, CustomFieldPatch(options = listOf("Banking"))) }
        }
        val moved = fields.update(
            industry.id,
            industry.version,
            CustomFieldPatch(options = listOf("Banking", "Shops"), optionMoves = mapOf("Retail" to "Shops")),
        )
        assertEquals(listOf("Banking", "Shops"), moved.options)
        assertEquals(CustomValue.Text("Shops"), contacts.get(ada.id).custom["industry"])

        fields.delete(revenue.id, revenue.version)
        assertFalse(contacts.list().items.any { it.custom.containsKey("revenue") })
        assertThrows<FlameException.NotFound> { runBlocking { fields.get(revenue.id) } }
        flame.shutdown()
    }

    @Test
    fun dealsCarryCustomValues() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("deal-custom.db")}")
        val owner = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner")).session
        owner.customFields().define(
            NewCustomField(CustomEntity.DEAL, "product", "Product", CustomFieldKind.SELECT, options = listOf("Licence", "Support")),
        )
        val deals = owner.deals()
        val licence = deals.create(NewDeal("Big", 100_00, "EUR", custom = mapOf("product" to CustomValue.Text("licence"))))
        assertEquals(CustomValue.Text("Licence"), licence.custom["product"])
        val support = deals.create(NewDeal("Small", 10_00, "EUR", custom = mapOf("product" to CustomValue.Text("Support"))))
        val bad = assertThrows<FlameException.Validation> {
            runBlocking { deals.create(NewDeal("Bad", 1, "EUR", custom = mapOf("product" to CustomValue.Text("Hardware")))) }
        }
        assertEquals("custom.product", bad.field)
        assertEquals(2, deals.list().items.size)

        val onlyLicence = DealFilter(custom = listOf(CustomCondition("product", CustomMatch.Equals(CustomValue.Text("Licence")))))
        assertEquals(listOf(licence.id), deals.list(onlyLicence).items.map { it.id })
        val moved = deals.update(support.id, support.version, DealPatch(custom = mapOf("product" to CustomValue.Text("Licence"))))
        assertEquals(CustomValue.Text("Licence"), moved.custom["product"])
        assertEquals(listOf(support.id, licence.id), deals.list(onlyLicence).items.map { it.id })
        val won = deals.win(moved.id, moved.version)
        assertEquals(moved.custom, won.custom)
        val cleared = deals.update(won.id, won.version, DealPatch(custom = mapOf("product" to null)))
        assertTrue(cleared.custom.isEmpty())
        flame.shutdown()
    }

    @Test
    fun listsSortByACustomField() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("custom-sort.db")}")
        val owner = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner")).session
        owner.customFields().define(NewCustomField(CustomEntity.CONTACT, "score", "Score", CustomFieldKind.NUMBER))
        owner.customFields().define(NewCustomField(CustomEntity.ORGANIZATION, "rank", "Rank", CustomFieldKind.NUMBER))
        owner.customFields().define(NewCustomField(CustomEntity.DEAL, "seats", "Seats", CustomFieldKind.NUMBER))
        val contacts = owner.contacts()
        listOf("30", null, "-5", "7").forEachIndexed { i, score ->
            val custom = if (score == null) mapOf() else mapOf("score" to CustomValue.Number(score))
            contacts.create(NewContact(firstName = "P$i", custom = custom))
        }
        val up = ContactFilter(sort = CustomSort("score"))
        val first = contacts.list(up, PageRequest(limit = 2u))
        val rest = contacts.list(up, PageRequest(limit = 10u, cursor = first.nextCursor))
        assertEquals(listOf("P2", "P3", "P0", "P1"), (first.items + rest.items).map { it.firstName })
        val down = contacts.list(ContactFilter(sort = CustomSort("score", descending = true)))
        assertEquals(listOf("P0", "P3", "P2", "P1"), down.items.map { it.firstName })
        val bad = assertThrows<FlameException.Validation> {
            runBlocking { contacts.list(ContactFilter(sort = CustomSort("nope"))) }
        }
        assertEquals("sort", bad.field)

        val orgs = owner.organizations()
        orgs.create(NewOrganization(name = "Two", custom = mapOf("rank" to CustomValue.Number("2"))))
        orgs.create(NewOrganization(name = "One", custom = mapOf("rank" to CustomValue.Number("1"))))
        assertEquals(listOf("One", "Two"), orgs.list(OrganizationFilter(sort = CustomSort("rank"))).items.map { it.name })
        val deals = owner.deals()
        deals.create(NewDeal("Few", 1, "EUR", custom = mapOf("seats" to CustomValue.Number("3"))))
        deals.create(NewDeal("Many", 1, "EUR", custom = mapOf("seats" to CustomValue.Number("30"))))
        val bySeats = DealFilter(sort = CustomSort("seats", descending = true))
        assertEquals(listOf("Many", "Few"), deals.list(bySeats).items.map { it.title })
        flame.shutdown()
    }
}
