import Foundation
import PlinthTestSupport
import Testing

@testable import PlinthCore

/// The Dockerfile reader on mutated input: it answers bases or a ParseError, never crashes or
/// hangs. `PLINTH_FUZZ_ITERATIONS` runs longer (the default keeps the suite quick).
@Suite("Dockerfile reader fuzz")
struct DockerfileFuzzTests {
    static let pieces = ["$", "${", "}", "${A:-", "${B:+x}", "\\", "`", "\n", "\r\n", "<<EOF", "<<-'E'", "EOF\n", "#", "# escape=`\n", "\"", "'", " AS ",
        "FROM ", "ARG ", "COPY --from=", "--platform=", "=", "\t", "\u{0}", "é", "@sha256:", ":", "/", " "]

    @Test func mutatedCorpusNeverCrashes() {
        let iterations = Int(ProcessInfo.processInfo.environment["PLINTH_FUZZ_ITERATIONS"] ?? "") ?? 20_000
        var generator = SeededGenerator(seed: 20_261_127)
        let corpus = DockerfileTests.corpus.map(\.text)
        var parsed = 0, refused = 0
        for _ in 0..<iterations {
            var text = Array(corpus[Int.random(in: 0..<corpus.count, using: &generator)])
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0...text.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: text.insert(contentsOf: Self.pieces[Int.random(in: 0..<Self.pieces.count, using: &generator)], at: position)
                case 1: if position < text.count { text.remove(at: position) }
                case 2: text = Array(text.prefix(position))
                default:
                    let other = Array(corpus[Int.random(in: 0..<corpus.count, using: &generator)])
                    let cut = Int.random(in: 0...other.count, using: &generator)
                    text.insert(contentsOf: other.prefix(cut), at: position)
                }
            }
            let args = ["A": String(text.prefix(3)), "TAG": "x"]
            do {
                let bases = try Dockerfile.bases(String(text), buildArgs: args)
                for base in bases {
                    // A base's recorded place in the file is inside it and holds what it says.
                    if let range = base.range {
                        let utf8 = Array(String(text).utf8)
                        #expect(range.upperBound <= utf8.count && String(decoding: utf8[range], as: UTF8.self) == base.written)
                    }
                }
                parsed += 1
            } catch {
                #expect(error.line >= 1)
                refused += 1
            }
        }
        #expect(parsed + refused == iterations)
        print("dockerfile fuzz: \(iterations) inputs, \(parsed) parsed, \(refused) refused with a line and reason")
    }
}
