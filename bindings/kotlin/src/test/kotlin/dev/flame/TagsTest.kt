package dev.flame

import dev.flame.core.*
import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** Tags through the generated Kotlin: tagging contacts and deals, filters, rename/merge/delete. */
class TagsTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun taggingFiltersAndTheVocabulary() = runBlocking {
        val flame = Flame.open("sqlite://${dir.resolve("tags.db")}")
        val owner = flame.signUp(SignUp("Acme", "olga@acme.test", "Olga Owner")).session
        val contacts = owner.contacts()
        val ada = contacts.create(NewContact(firstName = "Ada"))
        val bob = contacts.create(NewContact(firstName = "Bob"))
        val tagged = contacts.addTag(ada.id, "VIP")
        assertEquals(listOf("VIP"), tagged.tags)
        assertEquals(ada.version, tagged.version)
        assertEquals(listOf("lead", "VIP"), contacts.addTag(ada.id, "lead").tags)
        contacts.addTag(bob.id, "vip")
        assertEquals(listOf(ada.id, bob.id).sorted(), contacts.list(ContactFilter(tags = listOf("vip"))).items.map { it.id }.sorted())
        assertEquals(listOf(ada.id), contacts.list(ContactFilter(tags = listOf("vip", "LEAD"))).items.map { it.id })
        assertEquals(listOf("VIP"), contacts.removeTag(ada.id, "lead").tags)

        val deals = owner.deals()
        val deal = deals.create(NewDeal("Robots", 100_00L, "USD"))
        assertEquals(listOf("hot"), deals.addTag(deal.id, "hot").tags)
        assertEquals(listOf(deal.id), deals.list(DealFilter(tags = listOf("HOT"))).items.map { it.id })
        assertTrue(deals.removeTag(deal.id, "hot").tags.isEmpty())

        val tags = owner.tags()
        val names = tags.list().associateBy { it.name }
        val vip = names.getValue("VIP")
        assertEquals(vip, tags.get(vip.id))
        val renamed = tags.rename(vip.id, vip.version, "VIP client")
        assertEquals("VIP client", renamed.name)
        assertThrows<FlameException.Conflict> { runBlocking { tags.rename(vip.id, vip.version, "stale") } }
        val colored = tags.setColor(renamed.id, renamed.version, "#FF0000")
        assertEquals("#ff0000", colored.color)
        val bad = assertThrows<FlameException.Validation> { runBlocking { tags.setColor(colored.id, colored.version, "red") } }
        assertEquals("color", bad.field)
        val lead = names.getValue("lead")
        contacts.addTag(bob.id, "lead")
        assertEquals(vip.id, tags.merge(lead.id, vip.id).id)
        assertEquals(listOf("VIP client"), contacts.get(bob.id).tags)
        assertThrows<FlameException.NotFound> { runBlocking { tags.get(lead.id) } }
        val current = tags.get(vip.id)
        tags.delete(current.id, current.version)
        assertTrue(contacts.get(ada.id).tags.isEmpty())
        assertEquals(listOf("hot"), tags.list().map { it.name }) // a tag taken off every record stays
        flame.shutdown()
    }
}
