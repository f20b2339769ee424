import Foundation
import XCTest

@testable import FlameKit

/// Organizations through the generated Swift bindings, on an SQLite file.
final class OrganizationsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-swift-orgs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

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

    func testOrganizationsLinkContactsAndDeals() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("orgs.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga")
        ).session
        let orgs = owner.organizations()

        let org = try await orgs.create(
            input: NewOrganization(
                name: "Babbage & Co", domain: "https://www.Babbage.example/about", country: "gb",
                size: "11-50"))
        XCTAssertEqual(org.domain, "babbage.example")
        XCTAssertEqual(org.country, "GB")
        XCTAssertEqual(org.size, .small)
        XCTAssertEqual(org.ownerId, owner.userId())
        let fetched = try await orgs.get(id: org.id)
        XCTAssertEqual(fetched, org)

        let updated = try await orgs.update(
            id: org.id, version: org.version, patch: OrganizationPatch(name: "Babbage Ltd", country: ""))
        XCTAssertEqual(updated.name, "Babbage Ltd")
        XCTAssertNil(updated.country)
        let stale = await flameError {
            try await orgs.update(id: org.id, version: org.version, patch: OrganizationPatch(city: "London"))
        }
        guard case .Conflict(let entity, _) = stale else { return XCTFail("\(String(describing: stale))") }
        XCTAssertEqual(entity, "organization")
        let taken = await flameError {
            try await orgs.create(input: NewOrganization(name: "Again", domain: "babbage.example"))
        }
        guard case .Conflict(let takenEntity, _) = taken else { return XCTFail("\(String(describing: taken))") }
        XCTAssertEqual(takenEntity, "domain")
        let bad = await flameError {
            try await orgs.create(input: NewOrganization(name: "Bad", website: "ftp://x.example"))
        }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "website")

        let listed = try await orgs.list(filter: OrganizationFilter(namePrefix: "bab"))
        XCTAssertEqual(listed.items.map(\.id), [updated.id])
        let byDomain = try await orgs.list(filter: OrganizationFilter(domain: "babbage.example"))
        XCTAssertEqual(byDomain.items.count, 1)

        let ada = try await owner.contacts().create(input: NewContact(firstName: "Ada", organizationId: org.id))
        XCTAssertEqual(ada.organizationId, org.id)
        let deal = try await owner.deals().create(
            input: NewDeal(title: "Robots", amountMinor: 100_50, currency: "EUR", organizationId: org.id))
        _ = try await owner.deals().create(
            input: NewDeal(title: "Arms", amountMinor: 7_00, currency: "USD", organizationId: org.id))
        let members = try await orgs.contacts(id: org.id)
        XCTAssertEqual(members.items.map(\.id), [ada.id])
        let deals = try await orgs.deals(id: org.id, page: PageRequest(limit: 10))
        XCTAssertEqual(deals.items.count, 2)
        let open = try await orgs.openValue(id: org.id)
        XCTAssertEqual(
            open, [Money(amountMinor: 100_50, currency: "EUR"), Money(amountMinor: 7_00, currency: "USD")])
        let unlinked = try await owner.deals().update(
            id: deal.id, version: deal.version, patch: DealPatch(organizationId: ""))
        XCTAssertNil(unlinked.organizationId)

        let current = try await orgs.get(id: org.id)
        try await orgs.delete(id: current.id, version: current.version)
        let adaAfter = try await owner.contacts().get(id: ada.id)
        XCTAssertNil(adaAfter.organizationId)
        let gone = await flameError { try await orgs.get(id: org.id) }
        guard case .NotFound = gone else { return XCTFail("\(String(describing: gone))") }
        let remaining = try await orgs.list()
        XCTAssertTrue(remaining.items.isEmpty)
    }

    func testOrganizationsCarryTagsAndCustomValues() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("orgs-tags.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga")
        ).session
        _ = try await owner.customFields().define(
            input: NewCustomField(
                entity: .organization, key: "tier", label: "Tier", kind: .select,
                options: ["gold", "silver"]))
        let orgs = owner.organizations()
        let gold = try await orgs.create(
            input: NewOrganization(name: "Gold Ltd", custom: ["tier": .text(value: "GOLD")]))
        XCTAssertEqual(gold.custom["tier"], .text(value: "gold"))
        let silver = try await orgs.create(
            input: NewOrganization(name: "Silver plc", custom: ["tier": .text(value: "silver")]))
        let bad = await flameError {
            try await orgs.create(
                input: NewOrganization(name: "Bronze", custom: ["tier": .text(value: "bronze")]))
        }
        guard case .Validation(let field, _) = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(field, "custom.tier")

        let tagged = try await orgs.addTag(id: gold.id, name: "Partner")
        XCTAssertEqual(tagged.tags, ["Partner"])
        XCTAssertEqual(tagged.version, gold.version)
        _ = try await orgs.addTag(id: silver.id, name: "partner")
        let partners = try await orgs.list(filter: OrganizationFilter(tags: ["PARTNER"]))
        XCTAssertEqual(partners.items.map(\.name), ["Gold Ltd", "Silver plc"])
        let silverOnly = OrganizationFilter(
            custom: [CustomCondition(key: "tier", matches: .equals(value: .text(value: "silver")))])
        let silvers = try await orgs.list(filter: silverOnly)
        XCTAssertEqual(silvers.items.map(\.id), [silver.id])

        let moved = try await orgs.update(
            id: gold.id, version: gold.version,
            patch: OrganizationPatch(custom: ["tier": .text(value: "silver")]))
        XCTAssertEqual(moved.custom["tier"], .text(value: "silver"))
        let both = try await orgs.list(filter: silverOnly)
        XCTAssertEqual(both.items.count, 2)
        let untagged = try await orgs.removeTag(id: gold.id, name: "partner")
        XCTAssertTrue(untagged.tags.isEmpty)
    }

    func testADomainPrefixOrdersByDomain() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("orgs-domains.db").path)")
        let owner = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga")
        ).session
        let orgs = owner.organizations()
        _ = try await orgs.create(input: NewOrganization(name: "Zeta", domain: "acme.de"))
        _ = try await orgs.create(input: NewOrganization(name: "Alpha", domain: "acme.com"))
        _ = try await orgs.create(input: NewOrganization(name: "Beta", domain: "beta.org"))
        let acme = OrganizationFilter(domainPrefix: "www.ACME")
        let first = try await orgs.list(filter: acme, page: PageRequest(limit: 1))
        let rest = try await orgs.list(filter: acme, page: PageRequest(limit: 10, cursor: first.nextCursor))
        XCTAssertEqual((first.items + rest.items).map(\.domain), ["acme.com", "acme.de"])
        await flame.shutdown()
    }
}
