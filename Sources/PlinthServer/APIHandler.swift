import Foundation
import Hummingbird
import Logging
import OpenAPIRuntime
import PlinthCatalog
import PlinthCore
import Prometheus

/// The REST API's handlers. Routes, parameters and bodies come from `openapi.yaml`
/// (swift-openapi-generator), so the document and the server cannot drift apart.
struct APIHandler: APIProtocol {
    static let maxCheckItems = 1000
    static let maxCheckItemLength = 512
    static let maxCheckImages = 20
    let catalog: Catalog
    let metrics: PrometheusCollectorRegistry
    let document: Data
    /// Runs `POST /v1/sync`; nil when the server has no registry client.
    let sync: SyncRunner?
    let logger: Logger

    // MARK: Images

    func listImages(_ input: Operations.ListImages.Input) async throws -> Operations.ListImages.Output {
        let query = input.query
        // The generated code checks types, not lengths or patterns: those are checked here, in
        // code points as JSON Schema's maxLength counts them (not grapheme clusters).
        if let problem = Self.invalidQuery([
            ("workload", query.workload, { CatalogEntry.isValidName($0) }, "must match [a-z0-9][a-z0-9-]{1,62}"),
            ("platform", query.platform, { $0.unicodeScalars.count <= 100 }, "must be at most 100 characters"),
            ("os", query.os, { $0.unicodeScalars.count <= 100 }, "must be at most 100 characters"),
            ("q", query.q, { $0.unicodeScalars.count <= 200 }, "must be at most 200 characters"),
        ]) {
            return .badRequest(.init(body: .applicationProblemJson(problem)))
        }
        var filter = ImageFilter(workload: query.workload, os: query.os, query: query.q)
        if let status = query.status { filter.status = CatalogEntry.Status(rawValue: status.rawValue) }
        if let platform = query.platform {
            do { filter.platform = try Platform(parsing: platform) } catch {
                return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid platform", detail: error.description))))
            }
        }
        if let cursor = query.cursor, !CatalogEntry.isValidName(cursor) {
            return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid cursor", detail: CatalogError.invalidCursor.description))))
        }
        let limit = query.limit ?? Catalog.defaultPageSize
        guard (1...Catalog.maxPageSize).contains(limit) else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid limit", detail: "limit must be from 1 to \(Catalog.maxPageSize)"))))
        }
        do {
            let page = try await catalog.images(filter, limit: limit, cursor: query.cursor)
            return .ok(.init(body: .json(.init(items: page.items.map(Representation.image), nextCursor: page.nextCursor))))
        } catch CatalogError.invalidCursor {
            return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid cursor", detail: CatalogError.invalidCursor.description))))
        }
    }

    func getImage(_ input: Operations.GetImage.Input) async throws -> Operations.GetImage.Output {
        let name = input.path.name
        guard CatalogEntry.isValidName(name) else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalidName(name))))
        }
        do {
            return .ok(.init(body: .json(try await imageWithETag(name))))
        } catch let error as CatalogError {
            return .notFound(.init(body: .applicationProblemJson(Problem.make(404, "Image not found", detail: error.description))))
        }
    }

    func getImageHistory(_ input: Operations.GetImageHistory.Input) async throws -> Operations.GetImageHistory.Output {
        let name = input.path.name
        guard CatalogEntry.isValidName(name) else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalidName(name))))
        }
        do {
            let (view, tags) = try await catalog.history(named: name)
            return .ok(.init(body: .json(Representation.history(view, tags))))
        } catch let error as CatalogError {
            return .notFound(.init(body: .applicationProblemJson(Problem.make(404, "Image not found", detail: error.description))))
        }
    }

    func getMatrix(_ input: Operations.GetMatrix.Input) async throws -> Operations.GetMatrix.Output {
        let query = input.query
        if let problem = Self.invalidQuery([
            ("workload", query.workload, { CatalogEntry.isValidName($0) }, "must match [a-z0-9][a-z0-9-]{1,62}"),
            ("cursor", query.cursor, { (try? Catalog.decodeMatrixCursor($0)) != nil }, "must be a row's next_cursor, as supported/debian-bookworm-slim"),
        ]) {
            return .badRequest(.init(body: .applicationProblemJson(problem)))
        }
        let limit = query.limit ?? Catalog.defaultPageSize
        guard (1...Catalog.maxPageSize).contains(limit) else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid limit", detail: "limit must be from 1 to \(Catalog.maxPageSize)"))))
        }
        let matrix = try await catalog.matrix(workload: query.workload, limit: limit, cursor: query.cursor)
        return .ok(.init(body: .json(Representation.matrix(matrix))))
    }

    // MARK: Digests

    func getDigest(_ input: Operations.GetDigest.Input) async throws -> Operations.GetDigest.Output {
        let digest: Digest
        do { digest = try Digest(parsing: input.path.digest) } catch {
            return .badRequest(.init(body: .applicationProblemJson(Problem.make(400, "Invalid digest", detail: error.description))))
        }
        let answer = try await catalog.lookup(digest)
        guard answer.verdict.verdict != .unknown else {
            return .notFound(
                .init(
                    body: .applicationProblemJson(
                        .init(
                            value1: Problem.make(404, "Unknown digest", detail: "Plinth has never seen \(digest)"),
                            value2: .init(verdict: .unknown, digest: digest.description)))))
        }
        return .ok(.init(body: .json(Representation.digest(answer))))
    }

    func check(_ input: Operations.Check.Input) async throws -> Operations.Check.Output {
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let images = body.images ?? []
        guard (0...Self.maxCheckItems).contains(body.items.count), images.count <= Self.maxCheckImages, !(body.items.isEmpty && images.isEmpty) else {
            var problem = Problem.make(
                400, "Invalid check request",
                detail: "give 1 to \(Self.maxCheckItems) items and at most \(Self.maxCheckImages) images, at least one in all; got \(body.items.count) and \(images.count)")
            problem.errors = [.init(pointer: "/items", detail: "expected at least one item or image")]
            return .badRequest(.init(body: .applicationProblemJson(problem)))
        }
        for (field, list) in [("items", body.items), ("images", images)] {
            for (index, item) in list.enumerated() where !(1...Self.maxCheckItemLength).contains(item.unicodeScalars.count) {
                var problem = Problem.make(400, "Invalid check item", detail: "\(field) \(index) must be 1 to \(Self.maxCheckItemLength) characters long")
                problem.errors = [.init(pointer: "/\(field)/\(index)", detail: "must be 1 to \(Self.maxCheckItemLength) characters long")]
                return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
        var platform = try Platform(parsing: "linux/amd64")
        if let text = body.platform {
            do { platform = try Platform(parsing: text) } catch {
                var problem = Problem.make(400, "Invalid platform", detail: error.description)
                problem.errors = [.init(pointer: "/platform", detail: error.description)]
                return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
        let policy = Representation.gatePolicy(body.policy)
        var results = try await catalog.judge(body.items, policy: policy)
        if !images.isEmpty {
            guard let client = sync?.client else { throw CurationError.conflict("this server has no registry client to read images with") }
            for image in images {
                results.append(try await catalog.judgeBuiltImage(image, platform: platform, client: client, policy: policy, logger: logger))
            }
        }
        let passed = results.allSatisfy(\.passes)
        let answers = results.map(Representation.checkResult)
        return .ok(.init(body: .json(.init(passed: passed, results: answers))))
    }

    /// The first query parameter that breaks its rule, as a problem naming it.
    static func invalidQuery(_ rules: [(name: String, value: String?, valid: (String) -> Bool, rule: String)]) -> Problem? {
        for rule in rules {
            if let value = rule.value, !rule.valid(value) {
                var problem = Problem.make(400, "Invalid query parameter", detail: "\(rule.name) \(rule.rule)")
                problem.errors = [.init(pointer: nil, detail: "\(rule.name): \(rule.rule)")]
                return problem
            }
        }
        return nil
    }

    // MARK: Operations

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(Components.Schemas.ServiceHealth(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        do {
            _ = try await catalog.store.entry(named: "readiness-probe")
            return .ok(.init(body: .json(Components.Schemas.ServiceHealth(status: .ready))))
        } catch {
            return .serviceUnavailable(.init(body: .applicationProblemJson(Problem.make(503, "Not ready", detail: "the database does not answer"))))
        }
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        // The catalog's state, read now; counters (sync, cache, webhooks) are kept as they happen.
        let gauges = try await catalog.gauges()
        for (image, at) in gauges.lastSyncSuccess {
            metrics.makeGauge(name: "plinth_entry_last_sync_success_timestamp_seconds", labels: [("image", image)]).set(at.timeIntervalSince1970)
        }
        metrics.makeGauge(name: "plinth_digests_pending_review").set(Double(gauges.pendingReview))
        metrics.makeGauge(name: "plinth_reviews_overdue").set(Double(gauges.reviewsOverdue))
        metrics.makeGauge(name: "plinth_advisories").set(Double(gauges.advisories))
        if let newest = gauges.newestAdvisoryModified {
            metrics.makeGauge(name: "plinth_advisories_newest_modified_timestamp_seconds").set(newest.timeIntervalSince1970)
        }
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return .ok(.init(body: .plainText(HTTPBody(buffer))))
    }

    func getOpenAPIDocument(_ input: Operations.GetOpenAPIDocument.Input) async throws -> Operations.GetOpenAPIDocument.Output {
        .ok(.init(body: .yaml(HTTPBody(document))))
    }
}
