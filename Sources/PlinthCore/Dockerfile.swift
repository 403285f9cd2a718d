/// The base images of a Dockerfile (Dockerfile reference, BuildKit's parser): every `FROM` and
/// every `COPY --from=IMAGE` that names an image rather than an earlier stage, with `ARG`s
/// declared before the first `FROM` substituted (their defaults, or `--build-arg` values),
/// continuation lines joined, comments and heredocs skipped, the `# escape=` directive obeyed.
public enum Dockerfile {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// One base image reference in the file.
    public struct Base: Sendable, Hashable {
        /// 1-based line of the instruction.
        public var line: Int
        /// `FROM` or `COPY --from`.
        public var instruction: String
        /// The image as the build sees it, variables substituted.
        public var reference: String
        /// The text as written in the file (variables not substituted).
        public var written: String
        public var platform: String?
        /// The stage name a `FROM ... AS name` gives.
        public var stage: String?
        /// Where `written` is in the file (UTF-8 offsets), when it is a literal `pin` may rewrite.
        public var range: Range<Int>?
    }

    /// A logical line: an instruction with its continuations joined, and where each of its
    /// characters came from in the file.
    struct LogicalLine {
        var text: [UInt8] = []
        var offsets: [Int] = []
        var line: Int
    }

    public static func bases(_ source: String, buildArgs: [String: String] = [:]) throws(ParseError) -> [Base] {
        let bytes = Array(source.utf8)
        let lines = try logicalLines(bytes)
        var globalArgs: [String: String] = [:]
        var sawFrom = false
        var stages: [String] = []
        var stageCount = 0
        var stageArgs: [String: String] = [:]
        var result: [Base] = []
        for logical in lines {
            let words = tokens(logical)
            guard let first = words.first else { continue }
            let keyword = String(decoding: logical.text[first], as: UTF8.self).uppercased()
            let rest = Array(words.dropFirst())
            switch keyword {
            case "ARG":
                guard !rest.isEmpty else { throw ParseError(line: logical.line, message: "ARG needs a name") }
                for word in rest {
                    let text = String(decoding: logical.text[word], as: UTF8.self)
                    let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    let name = String(parts[0])
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw ParseError(line: logical.line, message: "ARG '\(text)' is not NAME or NAME=value")
                    }
                    let scope = sawFrom ? stageArgs.merging(globalArgs) { a, _ in a } : globalArgs
                    var value = buildArgs[name]
                    if value == nil, parts.count == 2 { value = try substitute(unquote(String(parts[1])), scope, line: logical.line) }
                    if sawFrom { stageArgs[name] = value ?? globalArgs[name] ?? "" } else { globalArgs[name] = value ?? "" }
                }
            case "FROM":
                sawFrom = true
                stageArgs = [:]
                var index = 0
                var platform: String?
                while index < rest.count, logical.text[rest[index]].starts(with: Array("--".utf8)) {
                    let flag = String(decoding: logical.text[rest[index]], as: UTF8.self)
                    if flag.hasPrefix("--platform=") { platform = try substitute(String(flag.dropFirst(11)), globalArgs, line: logical.line) }
                    index += 1
                }
                guard index < rest.count else { throw ParseError(line: logical.line, message: "FROM needs an image") }
                let token = rest[index]
                let written = String(decoding: logical.text[token], as: UTF8.self)
                let reference = try substitute(written, globalArgs, line: logical.line)
                guard !reference.isEmpty else { throw ParseError(line: logical.line, message: "FROM '\(written)' is empty after substituting its variables") }
                var stage: String?
                if index + 1 < rest.count {
                    guard index + 2 < rest.count, String(decoding: logical.text[rest[index + 1]], as: UTF8.self).uppercased() == "AS" else {
                        throw ParseError(line: logical.line, message: "FROM takes an image and optionally 'AS name'")
                    }
                    stage = String(decoding: logical.text[rest[index + 2]], as: UTF8.self).lowercased()
                }
                defer {
                    if let stage { stages.append(stage) }
                    stageCount += 1
                }
                if stages.contains(reference.lowercased()) || reference.lowercased() == "scratch" { continue }
                result.append(
                    Base(
                        line: logical.line, instruction: "FROM", reference: reference, written: written, platform: platform, stage: stage,
                        range: literalRange(logical, token)))
            case "COPY":
                for word in rest {
                    let text = String(decoding: logical.text[word], as: UTF8.self)
                    guard text.hasPrefix("--from=") else {
                        if !text.hasPrefix("--") { break }
                        continue
                    }
                    let written = String(text.dropFirst(7))
                    let reference = try substitute(written, stageArgs.merging(globalArgs) { a, _ in a }, line: logical.line)
                    if stages.contains(reference.lowercased()) || Int(reference).map({ $0 < stageCount }) == true { break }
                    var range: Range<Int>?
                    if let whole = literalRange(logical, word) { range = (whole.lowerBound + 7)..<whole.upperBound }
                    result.append(Base(line: logical.line, instruction: "COPY --from", reference: reference, written: written, platform: nil, stage: nil, range: range))
                }
            default:
                if !sawFrom && keyword != "ARG" {
                    throw ParseError(line: logical.line, message: "\(keyword) before the first FROM (only ARG may come first)")
                }
            }
        }
        return result
    }

    /// The file's logical lines: directives read, comments dropped, continuations joined,
    /// heredoc bodies skipped.
    static func logicalLines(_ bytes: [UInt8]) throws(ParseError) -> [LogicalLine] {
        // Physical lines with their start offsets.
        var physical: [(start: Int, end: Int)] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            physical.append((start, i))
            start = i + 1
        }
        if start < bytes.count { physical.append((start, bytes.count)) }
        func content(_ p: (start: Int, end: Int)) -> ArraySlice<UInt8> {
            var slice = bytes[p.start..<p.end]
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            return slice
        }
        func trimmedLeading(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> { s.drop { $0 == 32 || $0 == 9 } }

        var escape = UInt8(ascii: "\\")
        var index = 0
        // Parser directives: `# name=value` lines at the very top.
        while index < physical.count {
            let line = trimmedLeading(content(physical[index]))
            guard line.first == UInt8(ascii: "#") else { break }
            let body = String(decoding: line.dropFirst(), as: UTF8.self).trimmingBlanks()
            guard let equals = body.firstIndex(of: "="), !body[..<equals].contains(" ") else { break }
            let name = String(body[..<equals]).trimmingBlanks().lowercased(), value = String(body[body.index(after: equals)...]).trimmingBlanks()
            if name == "escape" {
                guard value == "\\" || value == "`" else { throw ParseError(line: index + 1, message: "escape directive must be \\ or `") }
                escape = value == "`" ? UInt8(ascii: "`") : UInt8(ascii: "\\")
            }
            index += 1
        }

        var result: [LogicalLine] = []
        var current: LogicalLine?
        var heredocs: [(delimiter: String, stripTabs: Bool)] = []
        while index < physical.count {
            let p = physical[index]
            let raw = content(p)
            index += 1
            if !heredocs.isEmpty {
                var line = String(decoding: raw, as: UTF8.self)
                if heredocs[0].stripTabs { line = String(line.drop { $0 == "\t" }) }
                if line == heredocs[0].delimiter { heredocs.removeFirst() }
                continue
            }
            let trimmed = trimmedLeading(raw)
            if trimmed.first == UInt8(ascii: "#") { continue }  // comments, also inside continuations
            if current == nil {
                if trimmed.isEmpty { continue }
                current = LogicalLine(line: index)
            } else if trimmed.isEmpty {
                continue
            }
            // Continuation: the escape character last on the line (trailing blanks ignored).
            var body = raw
            while let last = body.last, last == 32 || last == 9 { body = body.dropLast() }
            let continues = body.last == escape
            if continues { body = body.dropLast() }
            let startOffset = body.startIndex
            current!.text += body
            current!.offsets += (startOffset..<body.endIndex).map { $0 }
            if continues {
                current!.text.append(32)
                current!.offsets.append(-1)
                continue
            }
            heredocs = Self.heredocs(in: current!)
            result.append(current!)
            current = nil
        }
        if let current { result.append(current) }
        if let open = heredocs.first { throw ParseError(line: result.last?.line ?? 1, message: "heredoc '\(open.delimiter)' is never closed") }
        return result
    }

    /// `<<EOF`, `<<-EOF`, `<<"EOF"` markers on an instruction line.
    static func heredocs(in line: LogicalLine) -> [(delimiter: String, stripTabs: Bool)] {
        let text = String(decoding: line.text, as: UTF8.self)
        let keyword = text.split(separator: " ").first?.uppercased() ?? ""
        guard ["RUN", "COPY", "ADD"].contains(keyword) else { return [] }
        var result: [(String, Bool)] = []
        var rest = Substring(text)
        while let range = rest.range(of: "<<") {
            var after = rest[range.upperBound...]
            let strip = after.first == "-"
            if strip { after = after.dropFirst() }
            var word = after.prefix { !$0.isWhitespace && $0 != ">" && $0 != "|" && $0 != ";" && $0 != "&" }
            if word.count >= 2, let q = word.first, (q == "\"" || q == "'"), word.last == q { word = word.dropFirst().dropLast() }
            if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { result.append((String(word), strip)) }
            rest = after
        }
        return result
    }

    /// Whitespace-separated words of a logical line (quotes group).
    static func tokens(_ line: LogicalLine) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 0
        let t = line.text
        while i < t.count {
            while i < t.count, t[i] == 32 || t[i] == 9 { i += 1 }
            guard i < t.count else { break }
            let start = i
            var quote: UInt8?
            while i < t.count {
                let c = t[i]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    quote = c
                } else if c == 32 || c == 9 {
                    break
                }
                i += 1
            }
            result.append(start..<i)
        }
        return result
    }

    /// The token's place in the file when it is one literal run (no variables, no line break).
    static func literalRange(_ line: LogicalLine, _ token: Range<Int>) -> Range<Int>? {
        let text = line.text[token]
        guard !text.contains(UInt8(ascii: "$")), !text.contains(UInt8(ascii: "\"")), !text.contains(UInt8(ascii: "'")) else { return nil }
        let offsets = line.offsets[token]
        guard let first = offsets.first, let last = offsets.last, !offsets.contains(-1), last - first == offsets.count - 1 else { return nil }
        return first..<(last + 1)
    }

    static func unquote(_ text: String) -> String {
        if text.count >= 2, let q = text.first, q == "\"" || q == "'", text.last == q { return String(text.dropFirst().dropLast()) }
        return text
    }

    /// `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alternative}`, `\$` kept literal.
    static func substitute(_ text: String, _ variables: [String: String], line: Int) throws(ParseError) -> String {
        let chars = Array(unquote(text))
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, chars[i + 1] == "$" {
                out.append("$")
                i += 2
                continue
            }
            guard c == "$", i + 1 < chars.count else {
                out.append(c)
                i += 1
                continue
            }
            if chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else { throw ParseError(line: line, message: "'${' without '}' in '\(text)'") }
                let inner = String(chars[(i + 2)..<close])
                if let colon = inner.firstIndex(of: ":") {
                    let name = String(inner[..<colon])
                    let modifier = inner[inner.index(after: colon)...]
                    let value = variables[name] ?? ""
                    if modifier.hasPrefix("-") {
                        out += value.isEmpty ? try substitute(String(modifier.dropFirst()), variables, line: line) : value
                    } else if modifier.hasPrefix("+") {
                        out += value.isEmpty ? "" : try substitute(String(modifier.dropFirst()), variables, line: line)
                    } else {
                        throw ParseError(line: line, message: "unsupported variable modifier in '${\(inner)}'")
                    }
                } else {
                    out += variables[inner] ?? ""
                }
                i = close + 1
            } else {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                if j == i + 1 {
                    out.append("$")
                    i += 1
                } else {
                    out += variables[String(chars[(i + 1)..<j])] ?? ""
                    i = j
                }
            }
        }
        return out
    }
}
