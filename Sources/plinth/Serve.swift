import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PlinthCatalog
import PlinthServer
import PlinthStore
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the REST API.",
        discussion: """
            Migrates the database, loads the seed catalog into it when it has no entries, \
            and serves until SIGTERM or SIGINT, finishing requests in flight.
            """
    )

    @Option(help: "Address to listen on.")
    var hostname = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: ArgumentHelp("Catalog directory to seed an empty database from (default: the seed catalog built into plinth).", valueName: "dir"))
    var seed: String?

    @Option(help: ArgumentHelp("Time between sync passes: 30m, 1h, 90s; 0 turns sync off.", valueName: "duration"))
    var syncInterval = "1h"

    @Option(
        help: ArgumentHelp(
            "Time between checks for entries overdue for review (each records and delivers a review.due event): 24h; 0 turns them off.",
            valueName: "duration"))
    var reviewInterval = "24h"

    @OptionGroup var registries: RegistryOptions

    @Flag(help: "Reads need a bearer token too (by default only writes do).")
    var authReads = false

    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate (chain first to last); TLS 1.3 only. Needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Mutual TLS: refuse clients without a certificate issued by these PEM authorities (with --tls-cert).", valueName: "file"))
    var tlsClientCa: String?

    @Option(
        help: ArgumentHelp(
            "YAML file of webhooks that receive every audit event (name, url, events, secret_env); see README.", valueName: "file"))
    var webhooks: String?

    @Option(
        help: ArgumentHelp(
            "Close a connection that has sent no complete request for this long: idle keep-alive, or a request head not finished (90s, 1m).",
            valueName: "duration"))
    var idleTimeout = "30s"

    @Option(help: "Connections held open at once; more are closed when accepted.")
    var maxConnections = ServerSettings.defaultMaxConnections

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256") }
        guard let idle = Self.duration(idleTimeout), idle > .zero else {
            throw ValidationError("--idle-timeout '\(idleTimeout)' is not a duration: use a number with s, m or h (e.g. 30s)")
        }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be from 1 to 1000000") }
        switch (tlsCert, tlsKey) {
        case (nil, nil): guard tlsClientCa == nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        case (_?, nil): throw ValidationError("--tls-cert needs --tls-key")
        case (nil, _?): throw ValidationError("--tls-key needs --tls-cert")
        case (_?, _?): break
        }
        guard Self.duration(reviewInterval) != nil else {
            throw ValidationError("--review-interval '\(reviewInterval)' is not a duration: use a number with s, m or h (e.g. 24h), or 0")
        }
        guard Self.duration(syncInterval) != nil else {
            throw ValidationError("--sync-interval '\(syncInterval)' is not a duration: use a number with s, m or h (e.g. 30m), or 0")
        }
    }

    func run() async throws {
        let logger = Logger(label: "plinth")
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Lookups answer in well under a millisecond: buckets from 250 µs up.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)

        let hooks: [Webhook] = try webhooks.map { path in
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read the webhooks file \(path)")
            }
            return try Webhook.load(text, file: path, environment: ProcessInfo.processInfo.environment)
        } ?? [Webhook]()
        let location: StoreLocation
        do { location = try StoreLocation(parsing: store.location) } catch { throw ValidationError(error.description) }
        var tls: ServerTLS?
        if let tlsCert, let tlsKey {
            do { tls = try ServerTLS(certificateFile: tlsCert, keyFile: tlsKey, clientCAFile: tlsClientCa) } catch let error as ServerTLS.Invalid {
                throw ValidationError(error.description)
            }
        }
        let client = try registries.makeClient()
        let configuration = PlinthConfiguration(
            store: location, seed: try seed.map(CatalogSource.directory) ?? .embedded, seedName: seed ?? "built-in seed-data",
            server: ServerSettings(
                hostname: hostname, port: port, eventLoopThreads: threads, authReads: authReads, idleTimeout: Self.duration(idleTimeout)!,
                maxConnections: maxConnections, tls: tls),
            registry: client, registryConcurrency: registries.concurrency, syncInterval: Self.duration(syncInterval) ?? .zero, webhooks: hooks,
            reviewInterval: Self.duration(reviewInterval) ?? .zero,
            metrics: registry, logger: logger, trustedRoot: try registries.trustedRoot())
        do {
            let (application, _) = try await PlinthApplication.build(configuration)
            try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch let error as Stores.Unavailable {
            try? await client.shutdown()
            throw ValidationError(error.description)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// `90s`, `30m`, `1h`, or `0`.
    static func duration(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        guard let unit = text.last, let value = Int(text.dropLast()), value > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        default: return nil
        }
        // At most 30 days: longer is a typo, and would overflow the timers downstream.
        let (seconds, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= 30 * 86_400 else { return nil }
        return .seconds(seconds)
    }
}
