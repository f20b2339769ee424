import Foundation
import XCTest

@testable import FlameKit

/// Custom fields through the generated Swift: definitions, typed values on contacts, filters by
/// equality and range, a migration of values, and the typed errors of bad input.
final class CustomFieldsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-custom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
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

    func testDefinitionsValuesAndFilters() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("custom.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga Owner")
        ).session
        let fields = owner.customFields()
        let industry = try await fields.define(
            input: NewCustomField(
                entity: .contact, key: "industry", label: "Industry", kind: .select,
                options: ["Retail", "Banking"]))
        let revenue = try await fields.define(
            input: NewCustomField(entity: .contact, key: "revenue", label: "Revenue", kind: .number))
        _ = try await fields.define(
            input: NewCustomField(entity: .contact, key: "met", label: "First met", kind: .datetime))
        let listed = try await fields.list(entity: .contact)
        XCTAssertEqual(listed.map(\.key), ["industry", "revenue", "met"])
        let fetched = try await fields.get(id: industry.id)
        XCTAssertEqual(fetched, industry)
        let onDeals = try await fields.list(entity: .deal)
        XCTAssertTrue(onDeals.isEmpty)

        let met = Date(timeIntervalSince1970: 1_796_380_200)
        let contacts = owner.contacts()
        let ada = try await contacts.create(
            input: NewContact(
                firstName: "Ada",
                custom: [
                    "industry": .text(value: "retail"),
                    "revenue": .number(value: "1250.50"),
                    "met": .datetime(value: met),
                ]))
        XCTAssertEqual(ada.custom["industry"], .text(value: "Retail"))
        XCTAssertEqual(ada.custom["revenue"], .number(value: "1250.5"))
        XCTAssertEqual(ada.custom["met"], .datetime(value: met))
        let again = try await contacts.get(id: ada.id)
        XCTAssertEqual(again, ada)
        _ = try await contacts.create(
            input: NewContact(
                firstName: "Bob", custom: ["industry": .text(value: "Banking"), "revenue": .text(value: "10")]))

        let retail = try await contacts.list(
            filter: ContactFilter(
                custom: [CustomCondition(key: "industry", matches: .equals(value: .text(value: "Retail")))]))
        XCTAssertEqual(retail.items.map(\.id), [ada.id])
        let small = try await contacts.list(
            filter: ContactFilter(
                custom: [CustomCondition(key: "revenue", matches: .range(min: nil, max: .number(value: "100")))]))
        XCTAssertEqual(small.items.map(\.firstName), ["Bob"])

        let bad = await expectError {
            try await contacts.create(input: NewContact(firstName: "X", custom: ["revenue": .text(value: "lots")]))
        }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "custom.revenue")
        let unknown = await expectError {
            try await contacts.create(input: NewContact(firstName: "X", custom: ["nope": .bool(value: true)]))
        }
        guard case .Validation = unknown else { return XCTFail("\(String(describing: unknown))") }

        let cleared: [String: CustomValue?] = ["revenue": nil]
        let updated = try await contacts.update(
            id: ada.id, version: ada.version, patch: ContactPatch(custom: cleared))
        XCTAssertNil(updated.custom["revenue"])
        XCTAssertEqual(updated.custom["industry"], .text(value: "Retail"))

        // Removing an option in use is refused unless its values move.
        let inUse = await expectError {
            try await fields.update(
                id: industry.id, version: industry.version, patch: CustomFieldPatch(options: ["Banking"]))
        }
        guard case .Conflict = inUse else { return XCTFail("\(String(describing: inUse))") }
        let moved = try await fields.update(
            id: industry.id, version: industry.version,
            patch: CustomFieldPatch(options: ["Banking", "Shops"], optionMoves: ["Retail": "Shops"]))
        XCTAssertEqual(moved.options, ["Banking", "Shops"])
        let adaNow = try await contacts.get(id: ada.id)
        XCTAssertEqual(adaNow.custom["industry"], .text(value: "Shops"))

        try await fields.delete(id: revenue.id, version: revenue.version)
        let remaining = try await contacts.list()
        XCTAssertFalse(remaining.items.contains { $0.custom["revenue"] != nil })
        let gone = await expectError { try await fields.get(id: revenue.id) }
        guard case .NotFound = gone else { return XCTFail("\(String(describing: gone))") }
        await flame.shutdown()
    }

    func testDealsCarryCustomValues() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("deal-custom.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga Owner")
        ).session
        _ = try await owner.customFields().define(
            input: NewCustomField(
                entity: .deal, key: "product", label: "Product", kind: .select, options: ["Licence", "Support"]))
        let deals = owner.deals()
        let licence = try await deals.create(
            input: NewDeal(
                title: "Big", amountMinor: 100_00, currency: "EUR", custom: ["product": .text(value: "licence")]))
        XCTAssertEqual(licence.custom["product"], .text(value: "Licence"))
        let support = try await deals.create(
            input: NewDeal(
                title: "Small", amountMinor: 10_00, currency: "EUR", custom: ["product": .text(value: "Support")]))
        let bad = await expectError {
            try await deals.create(
                input: NewDeal(
                    title: "Bad", amountMinor: 1, currency: "EUR", custom: ["product": .text(value: "Hardware")]))
        }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "custom.product")

        let onlyLicence = DealFilter(
            custom: [CustomCondition(key: "product", matches: .equals(value: .text(value: "Licence")))])
        let listed = try await deals.list(filter: onlyLicence)
        XCTAssertEqual(listed.items.map(\.id), [licence.id])
        let moved = try await deals.update(
            id: support.id, version: support.version, patch: DealPatch(custom: ["product": .text(value: "Licence")]))
        XCTAssertEqual(moved.custom["product"], .text(value: "Licence"))
        let both = try await deals.list(filter: onlyLicence)
        XCTAssertEqual(both.items.map(\.id), [support.id, licence.id])
        let won = try await deals.win(id: moved.id, version: moved.version)
        XCTAssertEqual(won.custom, moved.custom)
        let clear: [String: CustomValue?] = ["product": nil]
        let cleared = try await deals.update(id: won.id, version: won.version, patch: DealPatch(custom: clear))
        XCTAssertTrue(cleared.custom.isEmpty)
        await flame.shutdown()
    }

    func testListsSortByACustomField() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("custom-sort.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga Owner")
        ).session
        let fields = owner.customFields()
        _ = try await fields.define(input: NewCustomField(entity: .contact, key: "score", label: "Score", kind: .number))
        _ = try await fields.define(input: NewCustomField(entity: .organization, key: "rank", label: "Rank", kind: .number))
        _ = try await fields.define(input: NewCustomField(entity: .deal, key: "seats", label: "Seats", kind: .number))
        let contacts = owner.contacts()
        for (i, score) in ["30", nil, "-5", "7"].enumerated() {
            let custom: [String: CustomValue] = score.map { ["score": .number(value: $0)] } ?? [:]
            _ = try await contacts.create(input: NewContact(firstName: "P\(i)", custom: custom))
        }
        let up = ContactFilter(sort: CustomSort(key: "score"))
        let first = try await contacts.list(filter: up, page: PageRequest(limit: 2))
        let rest = try await contacts.list(filter: up, page: PageRequest(limit: 10, cursor: first.nextCursor))
        XCTAssertEqual((first.items + rest.items).map(\.firstName), ["P2", "P3", "P0", "P1"])
        let down = try await contacts.list(filter: ContactFilter(sort: CustomSort(key: "score", descending: true)))
        XCTAssertEqual(down.items.map(\.firstName), ["P0", "P3", "P2", "P1"])
        let bad = await expectError { try await contacts.list(filter: ContactFilter(sort: CustomSort(key: "nope"))) }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "sort")

        let orgs = owner.organizations()
        _ = try await orgs.create(input: NewOrganization(name: "Two", custom: ["rank": .number(value: "2")]))
        _ = try await orgs.create(input: NewOrganization(name: "One", custom: ["rank": .number(value: "1")]))
        let ranked = try await orgs.list(filter: OrganizationFilter(sort: CustomSort(key: "rank")))
        XCTAssertEqual(ranked.items.map(\.name), ["One", "Two"])
        let deals = owner.deals()
        _ = try await deals.create(
            input: NewDeal(title: "Few", amountMinor: 1, currency: "EUR", custom: ["seats": .number(value: "3")]))
        _ = try await deals.create(
            input: NewDeal(title: "Many", amountMinor: 1, currency: "EUR", custom: ["seats": .number(value: "30")]))
        let bySeats = try await deals.list(filter: DealFilter(sort: CustomSort(key: "seats", descending: true)))
        XCTAssertEqual(bySeats.items.map(\.title), ["Many", "Few"])
        await flame.shutdown()
    }
}
