import Foundation
import XCTest

@testable import FlameKit

/// Tags through the generated Swift: tagging contacts and deals, filters, rename/merge/delete.
final class TagsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-tags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

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

    func testTaggingFiltersAndTheVocabulary() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("tags.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga Owner")
        ).session
        let contacts = owner.contacts()
        let ada = try await contacts.create(input: NewContact(firstName: "Ada"))
        let bob = try await contacts.create(input: NewContact(firstName: "Bob"))
        let tagged = try await contacts.addTag(id: ada.id, name: "VIP")
        XCTAssertEqual(tagged.tags, ["VIP"])
        XCTAssertEqual(tagged.version, ada.version)
        let twice = try await contacts.addTag(id: ada.id, name: "lead")
        XCTAssertEqual(twice.tags, ["lead", "VIP"])
        _ = try await contacts.addTag(id: bob.id, name: "vip")
        let vips = try await contacts.list(filter: ContactFilter(tags: ["vip"]))
        XCTAssertEqual(Set(vips.items.map(\.id)), [ada.id, bob.id])
        let both = try await contacts.list(filter: ContactFilter(tags: ["vip", "LEAD"]))
        XCTAssertEqual(both.items.map(\.id), [ada.id])
        let untagged = try await contacts.removeTag(id: ada.id, name: "lead")
        XCTAssertEqual(untagged.tags, ["VIP"])

        let deals = owner.deals()
        let deal = try await deals.create(input: NewDeal(title: "Robots", amountMinor: 100_00, currency: "USD"))
        let hot = try await deals.addTag(id: deal.id, name: "hot")
        XCTAssertEqual(hot.tags, ["hot"])
        let hotDeals = try await deals.list(filter: DealFilter(tags: ["HOT"]))
        XCTAssertEqual(hotDeals.items.map(\.id), [deal.id])
        let cold = try await deals.removeTag(id: deal.id, name: "hot")
        XCTAssertTrue(cold.tags.isEmpty)

        let tags = owner.tags()
        let all = try await tags.list()
        let vip = try XCTUnwrap(all.first { $0.name == "VIP" })
        let lead = try XCTUnwrap(all.first { $0.name == "lead" })
        let fetched = try await tags.get(id: vip.id)
        XCTAssertEqual(fetched, vip)
        let renamed = try await tags.rename(id: vip.id, version: vip.version, newName: "VIP client")
        XCTAssertEqual(renamed.name, "VIP client")
        let stale = await expectError { try await tags.rename(id: vip.id, version: vip.version, newName: "x") }
        guard case .Conflict = stale else { return XCTFail("\(String(describing: stale))") }
        let colored = try await tags.setColor(id: renamed.id, version: renamed.version, color: "#FF0000")
        XCTAssertEqual(colored.color, "#ff0000")
        let bad = await expectError { try await tags.setColor(id: colored.id, version: colored.version, color: "red") }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "color")
        _ = try await contacts.addTag(id: bob.id, name: "lead")
        let into = try await tags.merge(fromId: lead.id, intoId: vip.id)
        XCTAssertEqual(into.id, vip.id)
        let bobNow = try await contacts.get(id: bob.id)
        XCTAssertEqual(bobNow.tags, ["VIP client"])
        let gone = await expectError { try await tags.get(id: lead.id) }
        guard case .NotFound = gone else { return XCTFail("\(String(describing: gone))") }
        let current = try await tags.get(id: vip.id)
        try await tags.delete(id: current.id, version: current.version)
        let adaNow = try await contacts.get(id: ada.id)
        XCTAssertTrue(adaNow.tags.isEmpty)
        let left = try await tags.list()
        XCTAssertEqual(left.map(\.name), ["hot"])  // a tag taken off every record stays
        await flame.shutdown()
    }
}
