import Foundation
import Hummingbird
import OpenAPIRuntime
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthStore

/// Admission controllers and registries in their own protocols: OPA Gatekeeper's external
/// data provider, CNCF distribution's notifications; and the lineage they record.
extension APIHandler {
    static let gatekeeperAPIVersion = "externaldata.gatekeeper.sh/v1beta1"

    func gatekeeperProvider(_ input: Operations.GatekeeperProvider.Input) async throws -> Operations.GatekeeperProvider.Output {
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        func answer(_ items: [Components.Schemas.GatekeeperItem], systemError: String? = nil) -> Operations.GatekeeperProvider.Output {
            .ok(
                .init(
                    body: .json(
                        .init(
                            apiVersion: .externaldata_gatekeeper_shV1beta1, kind: .providerResponse,
                            response: .init(idempotent: true, items: items, systemError: systemError)))))
        }
        // The platform is the Provider's configuration (its url), not Gatekeeper's request: a bad one is a 400.
        var platform = try Platform(parsing: "linux/amd64")
        if let text = input.query.platform {
            do {
                guard text.unicodeScalars.count <= 100 else { throw Platform.ParseError.malformed(String(text.prefix(100)) + "…") }
                platform = try Platform(parsing: text)
            } catch {
                var problem = Problem.make(400, "Invalid query parameter", detail: "platform: \(error)")
                problem.errors = [.init(pointer: nil, detail: "platform: \(error)")]
                return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
        // Gatekeeper reads a failure from systemError, not from the HTTP status.
        if let version = body.apiVersion, version != Self.gatekeeperAPIVersion {
            return answer([], systemError: "apiVersion must be \(Self.gatekeeperAPIVersion), not \(version)")
        }
        if let kind = body.kind, kind != "ProviderRequest" {
            return answer([], systemError: "kind must be ProviderRequest, not \(kind)")
        }
        let keys = body.request.keys ?? []
        guard keys.count <= Catalog.maxAdmissionKeys else {
            return answer([], systemError: "at most \(Catalog.maxAdmissionKeys) keys a request; got \(keys.count)")
        }
        var items: [Components.Schemas.GatekeeperItem] = []
        for key in keys {
            guard (1...Self.maxCheckItemLength).contains(key.unicodeScalars.count) else {
                items.append(.init(key: key, error: "a key must be 1 to \(Self.maxCheckItemLength) characters long"))
                continue
            }
            let admitted = try await catalog.admit(key, platform: platform, client: sync?.client, logger: logger)
            items.append(.init(key: key, value: admitted.judgment.map(Representation.checkResult), error: admitted.error))
        }
        return answer(items)
    }

    func distributionNotification(_ input: Operations.DistributionNotification.Input) async throws -> Operations.DistributionNotification.Output {
        _ = try RequestAuth.require(.reader)
        let envelope: Components.Schemas.DistributionEnvelope
        switch input.body {
        case .applicationVnd_docker_distribution_events_v1Json(let body): envelope = body
        case .json(let body): envelope = body
        }
        guard let client = sync?.client else { throw CurationError.conflict("this server has no registry client to read pushed images with") }
        guard envelope.events.count <= Self.maxHookEvents else {
            var problem = Problem.make(400, "Too many events", detail: "at most \(Self.maxHookEvents) events a notification; got \(envelope.events.count)")
            problem.errors = [.init(pointer: "/events", detail: "at most \(Self.maxHookEvents) events")]
            return .badRequest(.init(body: .applicationProblemJson(problem)))
        }
        var ignored = 0
        var recorded: [Components.Schemas.BuiltImage] = []
        var unrecorded: [Components.Schemas.DistributionHookReport.UnrecordedPayloadPayload] = []
        for event in envelope.events {
            guard event.action == "push", let target = event.target, let reference = Self.pushed(target, request: event.request) else {
                ignored += 1
                continue
            }
            let judgments: [Judgment]
            do { judgments = try await catalog.recordPushed(reference, client: client, logger: logger) } catch {
                unrecorded.append(.init(image: reference.description, reason: "could not read it from its registry: \(error)"))
                continue
            }
            let images = try await catalog.store.builtImages(on: judgments.compactMap(\.digest))
            for judgment in judgments {
                if let manifest = judgment.image, let image = images.first(where: { $0.manifest == manifest && $0.repository == reference.repository }) {
                    recorded.append(Representation.builtImage(image))
                } else {
                    unrecorded.append(.init(image: judgment.input, reason: judgment.reason))
                }
            }
        }
        logger.info(
            "registry notification", metadata: ["events": "\(envelope.events.count)", "recorded": "\(recorded.count)", "ignored": "\(ignored)"])
        return .ok(.init(body: .json(.init(events: envelope.events.count, ignored: ignored, recorded: recorded, unrecorded: unrecorded))))
    }

    /// Events one notification may carry (distribution sends a few at a time).
    static let maxHookEvents = 1000

    /// The image a push event names, on the registry it was pushed to: a manifest or an index
    /// (blobs and other media types are not images).
    static func pushed(
        _ target: Components.Schemas.DistributionEvent.TargetPayload, request: Components.Schemas.DistributionEvent.RequestPayload?
    ) -> ImageReference? {
        guard let mediaType = target.mediaType, MediaType(rawValue: mediaType).isIndex || MediaType(rawValue: mediaType).isManifest,
            let repository = target.repository, let digestText = target.digest, let digest = try? Digest(parsing: digestText)
        else { return nil }
        // The registry's address as the pusher reached it: the target URL's, else the request's host.
        let host = target.url.flatMap { URL(string: $0) }.flatMap { url in url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } }
            ?? request?.host
        guard let host, !host.isEmpty else { return nil }
        let tag = target.tag.flatMap { $0.isEmpty ? nil : ":\($0)" } ?? ""
        return try? ImageReference(parsing: "\(host)/\(repository)\(tag)@\(digest)")
    }

    func getDigestSurface(_ input: Operations.GetDigestSurface.Input) async throws -> Operations.GetDigestSurface.Output {
        let digest = try Self.digest(input.path.digest)
        return .ok(.init(body: .json(try Representation.surface(try await catalog.surface(of: digest)))))
    }

    func getDependents(_ input: Operations.GetDependents.Input) async throws -> Operations.GetDependents.Output {
        let answer = try await knownDigest(input.path.digest)
        let images = try await catalog.dependents(of: answer.digest)
        return .ok(.init(body: .json(.init(digest: answer.digest.description, dependents: images.map(Representation.builtImage)))))
    }
}
