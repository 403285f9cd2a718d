import Foundation
import GRDB
import PlinthCore

/// The installed packages of an rpm-based image, read from its rpm database without an `rpm`
/// binary: SQLite `rpmdb.sqlite` (rpm 4.16 and later: Fedora, RHEL/UBI 9, Rocky and Alma 9,
/// Amazon Linux 2023, Mariner), Berkeley DB hash `Packages` (RHEL/UBI 8, CentOS 7, Amazon
/// Linux 2) and NDB `Packages.db` (SUSE). Each database holds one rpm header blob per
/// package (`RPMHeader`). A database that cannot be read yields a note, never a crash.
public enum RPMDatabase {
    /// Where rpm keeps its database, newest layout first (`/var/lib/rpm` is often a link to
    /// `/usr/lib/sysimage/rpm`).
    public static let folders = ["usr/lib/sysimage/rpm", "var/lib/rpm"]
    public static let files = ["rpmdb.sqlite", "Packages.db", "Packages"]

    /// A database holding more packages than this is refused (a real image holds hundreds).
    public static let maxPackages = 100_000

    public enum Backend: String, Sendable {
        case sqlite, ndb, berkeleyDB = "bdb"

        init?(file: String) {
            switch file {
            case "rpmdb.sqlite": self = .sqlite
            case "Packages.db": self = .ndb
            case "Packages": self = .berkeleyDB
            default: return nil
            }
        }
    }

    public static func isDatabase(_ path: String) -> Bool {
        folders.contains { folder in files.contains { path == folder + "/" + $0 } }
    }

    /// The packages of the database at `path` (one of `folders`' `files`) with contents `data`.
    public static func packages(path: String, data: [UInt8]) -> (packages: [InstalledPackage], note: String?) {
        let file = String(path.split(separator: "/").last ?? "")
        guard let backend = Backend(file: file) else { return ([], "\(path) is not an rpm database Plinth reads") }
        do {
            let blobs: [[UInt8]]
            switch backend {
            case .sqlite: blobs = try sqliteBlobs(data)
            case .ndb: blobs = try RPMDatabaseFormats.ndbBlobs(data, maxBlobs: maxPackages)
            case .berkeleyDB: blobs = try RPMDatabaseFormats.berkeleyHashValues(data, maxValues: maxPackages)
            }
            var packages: [InstalledPackage] = []
            var unreadable = 0
            var firstProblem: String?
            for blob in blobs {
                do {
                    packages.append(try RPMHeader.package(blob).installed)
                } catch {
                    unreadable += 1
                    firstProblem = firstProblem ?? error.description
                }
            }
            packages.sort { ($0.name, $0.arch ?? "", $0.version) < ($1.name, $1.arch ?? "", $1.version) }
            let note = firstProblem.map { "\(unreadable) of \(blobs.count) package headers in \(path) could not be read (\($0))" }
            return (packages, note)
        } catch {
            return ([], "the rpm database \(path) could not be read: \(error)")
        }
    }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// The `blob` column of the `Packages` table, from a copy of the database in a temporary
    /// folder opened read-only (SQLite reads files, not bytes). The copy's header is marked as
    /// a rollback-journal database (file format bytes 18 and 19), so that SQLite does not look
    /// for the write-ahead log an image does not ship; rpm checkpoints it when it closes.
    static func sqliteBlobs(_ data: [UInt8]) throws -> [[UInt8]] {
        guard data.count >= 100, data.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw Unreadable(description: "not an SQLite database")
        }
        var copy = data
        if copy[18] == 2 || copy[19] == 2 {
            copy[18] = 1
            copy[19] = 1
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-rpmdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rpmdb.sqlite")
        try Data(copy).write(to: file)
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "rpmdb"
        configuration.prepareDatabase { db in
            // A database from an image is untrusted input: no schema-defined functions or
            // views run, and SQLite's defensive checks are on.
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
            try db.execute(sql: "PRAGMA cell_size_check = ON")
        }
        let queue = try DatabaseQueue(path: file.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("Packages") else { throw Unreadable(description: "it has no Packages table") }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM Packages") ?? 0
            guard count <= maxPackages else { throw Unreadable(description: "it lists \(count) packages, more than \(maxPackages)") }
            return try Data.fetchAll(db, sql: "SELECT blob FROM Packages ORDER BY hnum").map { Array($0) }
        }
    }
}
