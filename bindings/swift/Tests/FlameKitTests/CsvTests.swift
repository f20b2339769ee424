import Foundation
import XCTest

@testable import FlameKit

/// CSV export of contacts, organizations and deals, and CSV import of organizations and deals,
/// through the generated Swift bindings: an export imports into another company and exports
/// there again identically; bad rows name their column; bad paths are Validation errors.
final class CsvTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flame-swift-csv-\(UUID().uuidString)")
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

    /// The field of a `Validation` error, else nil.
    private func field(_ error: FlameError?) -> String? {
        guard case .Validation(let field, _)? = error else { return nil }
        return field
    }

    /// The same custom field for every entity.
    private func defineTier(_ s: Session) async throws {
        for entity in [CustomEntity.contact, .organization, .deal] {
            _ = try await s.customFields().define(
                input: NewCustomField(entity: entity, key: "tier", label: "Tier", kind: .text))
        }
    }

    /// The records of a CSV text after its header, sorted (no cell here spans lines).
    private func rows(_ csv: String) -> [String] {
        Array(csv.split(separator: "\n").dropFirst().map(String.init)).sorted()
    }

    func testAnExportImportsIntoAnotherCompanyAsItWas() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("csv.db").path)")
        let acme = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga")
        ).session
        try await defineTier(acme)
        let org = try await acme.organizations().create(
            input: NewOrganization(
                name: "Engines, Ltd", domain: "engines.example", custom: ["tier": .text(value: "gold")]))
        _ = try await acme.organizations().addTag(id: org.id, name: "Partner")
        let ada = try await acme.contacts().create(
            input: NewContact(
                firstName: "Ada", email: "ada@example.com", organizationId: org.id,
                custom: ["tier": .text(value: "silver")]))
        _ = try await acme.contacts().addTag(id: ada.id, name: "VIP")
        let deal = try await acme.deals().create(
            input: NewDeal(
                title: "Looms", amountMinor: 123_450, currency: "EUR", contactId: ada.id, organizationId: org.id))
        _ = try await acme.deals().win(id: deal.id, version: deal.version)
        _ = try await acme.deals().create(input: NewDeal(title: "Open one", amountMinor: 99, currency: "JPY"))

        let orgs = try await acme.organizations().exportCsv()
        let contacts = try await acme.contacts().exportCsv()
        let deals = try await acme.deals().exportCsv()
        XCTAssertEqual(
            orgs.split(separator: "\n").first.map(String.init),
            "name,domain,phone,phone_region,street,city,region,postal_code,country,website,industry,size,owner,tags,custom.tier")
        XCTAssertTrue(contacts.contains("Ada,,ada@example.com,,,engines.example,olga@acme.test,VIP,silver"), contacts)
        XCTAssertTrue(deals.contains("Looms,1234.50,EUR,Sales,Won,won,,ada@example.com,engines.example,,olga@acme.test,,,"), deals)
        let won = try await acme.deals().exportCsv(filter: DealFilter(status: .won))
        XCTAssertEqual(rows(won).count, 1)

        let globex = try await acme.account().createCompany(name: "Globex").session
        try await defineTier(globex)
        let orgReport = try await globex.organizations().importCsv(csv: Data(orgs.utf8))
        XCTAssertEqual(orgReport.imported, 1)
        let contactReport = try await globex.contacts().importCsv(csv: Data(contacts.utf8))
        XCTAssertEqual(contactReport.imported, 1)
        let dealReport = try await globex.deals().importCsv(csv: Data(deals.utf8))
        XCTAssertEqual(dealReport.imported, 2)
        XCTAssertNil(dealReport.failed)
        let globexOrgs = try await globex.organizations().exportCsv()
        let globexContacts = try await globex.contacts().exportCsv()
        let globexDeals = try await globex.deals().exportCsv()
        XCTAssertEqual(rows(globexOrgs), rows(orgs))
        XCTAssertEqual(rows(globexContacts), rows(contacts))
        XCTAssertEqual(rows(globexDeals), rows(deals))

        let orgsFile = dir.appendingPathComponent("orgs.csv").path
        let written = try await acme.organizations().exportCsvFile(path: orgsFile)
        XCTAssertEqual(written, 1)
        XCTAssertEqual(try String(contentsOfFile: orgsFile, encoding: .utf8), orgs)
        let contactsFile = dir.appendingPathComponent("contacts.csv").path
        let vip = try await acme.contacts().exportCsvFile(path: contactsFile, filter: ContactFilter(tags: ["vip"]))
        XCTAssertEqual(vip, 1)
        let dealsFile = dir.appendingPathComponent("deals.csv").path
        let dealCount = try await acme.deals().exportCsvFile(path: dealsFile)
        XCTAssertEqual(dealCount, 2)
        let hooli = try await acme.account().createCompany(name: "Hooli").session
        try await defineTier(hooli)
        let hooliOrgs = try await hooli.organizations().importCsvFile(path: orgsFile)
        XCTAssertEqual(hooliOrgs.imported, 1)
        _ = try await hooli.contacts().importCsvFile(path: contactsFile)
        let hooliDeals = try await hooli.deals().importCsvFile(path: dealsFile)
        XCTAssertEqual(hooliDeals.imported, 2)

        let missing = dir.appendingPathComponent("no/such/dir/x.csv").path
        let contactsMissing = await flameError { try await acme.contacts().exportCsvFile(path: missing) }
        XCTAssertEqual(field(contactsMissing), "path")
        let orgsMissing = await flameError { try await acme.organizations().exportCsvFile(path: missing) }
        XCTAssertEqual(field(orgsMissing), "path")
        let dealsMissing = await flameError { try await acme.deals().exportCsvFile(path: missing) }
        XCTAssertEqual(field(dealsMissing), "path")
        let orgsImportMissing = await flameError { try await acme.organizations().importCsvFile(path: missing) }
        XCTAssertEqual(field(orgsImportMissing), "path")
        let dealsImportMissing = await flameError { try await acme.deals().importCsvFile(path: missing) }
        XCTAssertEqual(field(dealsImportMissing), "path")
        await flame.shutdown()
    }

    func testBadRowsNameTheirColumnAndABadHeaderImportsNothing() async throws {
        let flame = try await Flame.open(url: "sqlite://\(dir.appendingPathComponent("bad.db").path)")
        let acme = try await flame.signUp(
            input: SignUp(companyName: "Acme", ownerEmail: "olga@acme.test", ownerName: "Olga")
        ).session
        let csv = "title,currency,stage,status,lost_reason,assignee\n"
            + "Good,USD,Lost,,Too dear,\n"
            + "Nowhere,USD,Nowhere,,,\n"
            + "No reason,USD,Lost,,,\n"
            + "Stranger,USD,,,,nobody@acme.test\n"
        let report = try await acme.deals().importCsv(csv: Data(csv.utf8))
        XCTAssertEqual(report.imported, 1)
        XCTAssertEqual(report.errors.map(\.line), [3, 4, 5])
        XCTAssertEqual(report.errors.map(\.field), ["stage", "lost_reason", "assignee"])
        let orgs = try await acme.organizations().importCsv(csv: Data("name,domain\nA,a.example\nB,a.example\n".utf8))
        XCTAssertEqual(orgs.imported, 1)
        XCTAssertEqual(orgs.errors.map(\.field), ["domain"])
        let header = await flameError { try await acme.organizations().importCsv(csv: Data("name,fax\nA,1\n".utf8)) }
        XCTAssertEqual(field(header), "header")
        let dealHeader = await flameError { try await acme.deals().importCsv(csv: Data("title\nA\n".utf8)) }
        XCTAssertEqual(field(dealHeader), "header")
        await flame.shutdown()
    }
}
