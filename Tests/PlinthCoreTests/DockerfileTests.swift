import Testing

@testable import PlinthCore

/// Real-world Dockerfile shapes, each with the bases a build pulls.
@Suite("Dockerfile bases")
struct DockerfileTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var bases: [String]
        var buildArgs: [String: String] = [:]
        var testDescription: String { name }
    }

    static let corpus: [Case] = [
        Case(name: "single stage", text: "FROM debian:bookworm-slim\nRUN apt-get update\n", bases: ["debian:bookworm-slim"]),
        Case(name: "lower-case keyword", text: "from alpine:3.21\nrun apk add curl\n", bases: ["alpine:3.21"]),
        Case(name: "pinned", text: "FROM debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251\n",
             bases: ["debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251"]),
        Case(name: "multi-stage go build", text: """
            FROM golang:1.23 AS build
            WORKDIR /src
            COPY . .
            RUN go build -o /app
            FROM gcr.io/distroless/static-debian12
            COPY --from=build /app /app
            """, bases: ["golang:1.23", "gcr.io/distroless/static-debian12"]),
        Case(name: "stage used as base", text: "FROM node:22-bookworm-slim AS base\nFROM base AS deps\nRUN npm ci\nFROM base\nCOPY --from=deps /n /n\n",
             bases: ["node:22-bookworm-slim"]),
        Case(name: "stage alias case-insensitive", text: "FROM python:3.12-slim AS Builder\nFROM builder\n", bases: ["python:3.12-slim"]),
        Case(name: "scratch", text: "FROM scratch\nCOPY app /app\n", bases: []),
        Case(name: "scratch final stage", text: "FROM golang:1.23 AS b\nRUN true\nFROM scratch\nCOPY --from=b /x /x\n", bases: ["golang:1.23"]),
        Case(name: "ARG default", text: "ARG BASE=debian:bookworm-slim\nFROM $BASE\n", bases: ["debian:bookworm-slim"]),
        Case(name: "ARG braces", text: "ARG TAG=3.21\nFROM alpine:${TAG}\n", bases: ["alpine:3.21"]),
        Case(name: "ARG with build-arg override", text: "ARG TAG=3.21\nFROM alpine:${TAG}\n", bases: ["alpine:3.22"], buildArgs: ["TAG": "3.22"]),
        Case(name: "ARG default modifier", text: "ARG VARIANT\nFROM python:${VARIANT:-3.12-slim}\n", bases: ["python:3.12-slim"]),
        Case(name: "ARG alternative modifier", text: "ARG SLIM=1\nFROM debian:bookworm${SLIM:+-slim}\n", bases: ["debian:bookworm-slim"]),
        Case(name: "ARG quoted default", text: "ARG IMAGE=\"ubuntu:24.04\"\nFROM ${IMAGE}\n", bases: ["ubuntu:24.04"]),
        Case(name: "several ARGs on one line", text: "ARG REG=docker.io NAME=library/debian\nFROM ${REG}/${NAME}:12-slim\n", bases: ["docker.io/library/debian:12-slim"]),
        Case(name: "ARG referring to ARG", text: "ARG V=12\nARG IMG=debian:${V}-slim\nFROM $IMG\n", bases: ["debian:12-slim"]),
        Case(name: "platform flag", text: "FROM --platform=linux/amd64 debian:bookworm-slim\n", bases: ["debian:bookworm-slim"]),
        Case(name: "platform from build platform arg", text: "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nFROM alpine:3.21\n",
             bases: ["golang:1.23", "alpine:3.21"]),
        Case(name: "continuation inside FROM", text: "FROM \\\n  debian:bookworm-slim \\\n  AS base\n", bases: ["debian:bookworm-slim"]),
        Case(name: "continuations in RUN", text: "FROM alpine:3.21\nRUN apk add \\\n    curl \\\n    jq\n", bases: ["alpine:3.21"]),
        Case(name: "comments between continuations", text: "FROM debian:bookworm-slim\nRUN apt-get update \\\n# a comment\n  && apt-get install -y curl\n",
             bases: ["debian:bookworm-slim"]),
        Case(name: "comment lines", text: "# build the app\n  # indented comment\nFROM alpine:3.21\n", bases: ["alpine:3.21"]),
        Case(name: "escape directive", text: "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  c:\\\n", bases: ["mcr.microsoft.com/windows/servercore:ltsc2022"]),
        Case(name: "syntax directive", text: "# syntax=docker/dockerfile:1\nFROM alpine:3.21\n", bases: ["alpine:3.21"]),
        Case(name: "heredoc skipped", text: "FROM alpine:3.21\nRUN <<EOF\nFROM not-an-image\necho hi\nEOF\nFROM debian:12\n", bases: ["alpine:3.21", "debian:12"]),
        Case(name: "heredoc with dash and quotes", text: "FROM alpine:3.21\nCOPY <<-\"END\" /etc/x\n\tFROM nope\n\tEND\n", bases: ["alpine:3.21"]),
        Case(name: "COPY --from image", text: "FROM debian:bookworm-slim\nCOPY --from=busybox:1.37 /bin/busybox /bin/\n",
             bases: ["debian:bookworm-slim", "busybox:1.37"]),
        Case(name: "COPY --from stage index", text: "FROM golang:1.23\nRUN true\nFROM alpine:3.21\nCOPY --from=0 /x /x\n", bases: ["golang:1.23", "alpine:3.21"]),
        Case(name: "COPY --from with other flags", text: "FROM alpine:3.21\nCOPY --chown=1000:1000 --from=nginx:1.27 /etc/nginx /etc/nginx\n",
             bases: ["alpine:3.21", "nginx:1.27"]),
        Case(name: "registry with port", text: "FROM registry.internal:5000/base/debian:12\n", bases: ["registry.internal:5000/base/debian:12"]),
        Case(name: "CRLF line endings", text: "FROM alpine:3.21\r\nRUN true\r\n", bases: ["alpine:3.21"]),
        Case(name: "blank lines and indentation", text: "\n\n   FROM   alpine:3.21   AS   a\n\n", bases: ["alpine:3.21"]),
        Case(name: "dotnet multi-stage", text: """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            WORKDIR /source
            COPY . .
            RUN dotnet publish -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app .
            ENTRYPOINT ["dotnet", "app.dll"]
            """, bases: ["mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0"]),
        Case(name: "ARG after FROM does not reach later FROM", text: "FROM alpine:3.21\nARG X=debian:12\nFROM ${X:-busybox:1.37}\n", bases: ["alpine:3.21", "busybox:1.37"]),
    ]

    @Test(arguments: corpus)
    func basesOf(example: Case) throws {
        #expect(try Dockerfile.bases(example.text, buildArgs: example.buildArgs).map(\.reference) == example.bases)
    }

    @Test func everyBaseKnowsItsLineAndWhereItIsWritten() throws {
        let text = "# syntax=docker/dockerfile:1\nARG T=3.21\nFROM alpine:${T} AS a\nFROM debian:bookworm-slim\nCOPY --from=busybox:1.37 /x /x\n"
        let bases = try Dockerfile.bases(text)
        #expect(bases.map(\.line) == [3, 4, 5])
        #expect(bases[0].range == nil)  // a variable: pin cannot rewrite it
        let utf8 = Array(text.utf8)
        #expect(bases[1].range.map { String(decoding: utf8[$0], as: UTF8.self) } == "debian:bookworm-slim")
        #expect(bases[2].range.map { String(decoding: utf8[$0], as: UTF8.self) } == "busybox:1.37")
    }

    @Test(arguments: [
        ("FROM\n", "line 1: FROM needs an image"),
        ("RUN echo hi\nFROM alpine\n", "line 1: RUN before the first FROM (only ARG may come first)"),
        ("FROM alpine:3.21 AS\n", "line 1: FROM takes an image and optionally 'AS name'"),
        ("FROM alpine:3.21 # trailing text is not a comment\n", "line 1: FROM takes an image and optionally 'AS name'"),
        ("ARG\nFROM alpine\n", "line 1: ARG needs a name"),
        ("ARG X\nFROM $X\n", "line 2: FROM '$X' is empty after substituting its variables"),
        ("FROM alpine:${TAG\n", "line 1: '${' without '}' in 'alpine:${TAG'"),
        ("FROM alpine\nRUN <<EOF\necho\n", "line 2: heredoc 'EOF' is never closed"),
        ("# escape=x\nFROM alpine\n", "line 1: escape directive must be \\ or `"),
    ])
    func malformedFilesSayWhereAndWhy(text: String, message: String) {
        #expect(throws: Dockerfile.ParseError.self) { try Dockerfile.bases(text) }
        do { _ = try Dockerfile.bases(text) } catch { #expect(error.description == message) }
    }
}
