package dev.flame

import dev.flame.core.*
import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** Organizations through the generated Kotlin bindings, on an SQLite file. */
class OrganizationsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun organizationsLinkContactsAndDeals() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("orgs.db")}")
        val owner = flame.signUp(SignUp(companyName = "Acme", ownerEmail = "olga@acme.test", ownerName = "Olga")).session
        val orgs = owner.organizations()

        val org = orgs.create(
            NewOrganization(
                name = "Babbage & Co",
                domain = "https://www.Babbage.example/about",
                country = "gb",
                size = "11-50",
            ),
        )
        assertEquals("babbage.example", org.domain)
        assertEquals("GB", org.country)
        assertEquals(OrganizationSize.SMALL, org.size)
        assertEquals(owner.userId(), org.ownerId)
        assertEquals(org, orgs.get(org.id))

        val updated = orgs.update(org.id, org.version, OrganizationPatch(name = "Babbage Ltd", country = ""))
        assertEquals("Babbage Ltd", updated.name)
        assertNull(updated.country)
        val stale = assertThrows<FlameException.Conflict> {
            runBlocking { orgs.update(org.id, org.version, OrganizationPatch(city = "London")) }
        }
        assertEquals("organization", stale.entity)
        val taken = assertThrows<FlameException.Conflict> {
            runBlocking { orgs.create(NewOrganization(name = "Again", domain = "babbage.example")) }
        }
        assertEquals("domain", taken.entity)
        val bad = assertThrows<FlameException.Validation> {
            runBlocking { orgs.create(NewOrganization(name = "Bad", website = "ftp://x.example")) }
        }
        assertEquals("website", bad.field)

        val listed = orgs.list(OrganizationFilter(namePrefix = "bab"))
        assertEquals(listOf(updated.id), listed.items.map { it.id })
        assertEquals(1, orgs.list(OrganizationFilter(domain = "babbage.example")).items.size)

        val ada = owner.contacts().create(NewContact(firstName = "Ada", organizationId = org.id))
        assertEquals(org.id, ada.organizationId)
        val deal = owner.deals().create(NewDeal("Robots", 100_50L, "EUR", organizationId = org.id))
        owner.deals().create(NewDeal("Arms", 7_00L, "USD", organizationId = org.id))
        assertEquals(listOf(ada.id), orgs.contacts(org.id).items.map { it.id })
        assertEquals(2, orgs.deals(org.id, PageRequest(limit = 10u)).items.size)
        assertEquals(listOf(Money(100_50L, "EUR"), Money(7_00L, "USD")), orgs.openValue(org.id))
        val unlinked = owner.deals().update(deal.id, deal.version, DealPatch(organizationId = ""))
        assertNull(unlinked.organizationId)

        val current = orgs.get(org.id)
        orgs.delete(current.id, current.version)
        assertNull(owner.contacts().get(ada.id).organizationId)
        assertThrows<FlameException.NotFound> { runBlocking { orgs.get(org.id) } }
        val missing = assertThrows<FlameException.NotFound> {
            runBlocking { owner.contacts().create(NewContact(firstName = "Eve", organizationId = org.id)) }
        }
        assertNotNull(missing.entity)
        assertTrue(orgs.list().items.isEmpty())
    }

    @Test
    fun organizationsCarryTagsAndCustomValues() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("orgs-tags.db")}")
        val owner = flame.signUp(SignUp(companyName = "Acme", ownerEmail = "olga@acme.test", ownerName = "Olga")).session
        owner.customFields().define(
            NewCustomField(CustomEntity.ORGANIZATION, "tier", "Tier", CustomFieldKind.SELECT, options = listOf("gold", "silver")),
        )
        val orgs = owner.organizations()
        val gold = orgs.create(NewOrganization(name = "Gold Ltd", custom = mapOf("tier" to CustomValue.Text("GOLD"))))
        assertEquals(CustomValue.Text("gold"), gold.custom["tier"])
        val silver = orgs.create(NewOrganization(name = "Silver plc", custom = mapOf("tier" to CustomValue.Text("silver"))))
        val bad = assertThrows<FlameException.Validation> {
            runBlocking { orgs.create(NewOrganization(name = "Bronze", custom = mapOf("tier" to CustomValue.Text("bronze")))) }
        }
        assertEquals("custom.tier", bad.field)

        val tagged = orgs.addTag(gold.id, "Partner")
        assertEquals(listOf("Partner"), tagged.tags)
        assertEquals(gold.version, tagged.version)
        orgs.addTag(silver.id, "partner")
        assertEquals(listOf("Gold Ltd", "Silver plc"), orgs.list(OrganizationFilter(tags = listOf("PARTNER"))).items.map { it.name })
        val silverOnly = OrganizationFilter(custom = listOf(CustomCondition("tier", CustomMatch.Equals(CustomValue.Text("silver")))))
        assertEquals(listOf(silver.id), orgs.list(silverOnly).items.map { it.id })

        val moved = orgs.update(gold.id, gold.version, OrganizationPatch(custom = mapOf("tier" to CustomValue.Text("silver"))))
        assertEquals(CustomValue.Text("silver"), moved.custom["tier"])
        assertEquals(2, orgs.list(silverOnly).items.size)
        assertTrue(orgs.removeTag(gold.id, "partner").tags.isEmpty())
        assertEquals(listOf(silver.id), orgs.list(OrganizationFilter(tags = listOf("partner"))).items.map { it.id })
    }

    @Test
    fun aDomainPrefixOrdersByDomain() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("orgs-domains.db")}")
        val owner = flame.signUp(SignUp(companyName = "Acme", ownerEmail = "olga@acme.test", ownerName = "Olga")).session
        val orgs = owner.organizations()
        orgs.create(NewOrganization(name = "Zeta", domain = "acme.de"))
        orgs.create(NewOrganization(name = "Alpha", domain = "acme.com"))
        orgs.create(NewOrganization(name = "Beta", domain = "beta.org"))
        val acme = OrganizationFilter(domainPrefix = "www.ACME")
        val first = orgs.list(acme, PageRequest(limit = 1u))
        val rest = orgs.list(acme, PageRequest(limit = 10u, cursor = first.nextCursor))
        assertEquals(listOf("acme.com", "acme.de"), (first.items + rest.items).map { it.domain })
        flame.shutdown()
    }
}
