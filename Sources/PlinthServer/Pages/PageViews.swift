import Mustache

// The view models answer swift-mustache by name (`MustacheParent`) instead of through
// `Mirror`, which it falls back to for other types: a perf profile of the catalog page at
// 2,000 entries put Mirror lookups at about a seventh of the page's time. An absent
// optional answers nil, so a section on it is skipped.

extension PageController.Option: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "selected": selected
        default: nil
        }
    }
}

extension PageController.CatalogRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "title": title
        case "repository": repository
        case "status": status
        case "os": os
        case "platforms": platforms
        case "lastChange": lastChange
        case "grade": grade
        case "age": age
        default: nil
        }
    }
}

extension PageController.MatrixCellView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "image": image
        case "title": title
        case "support": support
        case "grade": grade
        case "notes": notes
        case "recommended": recommended
        default: nil
        }
    }
}

extension PageController.MatrixRowView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "workload": workload
        case "cells": cells
        case "more": more
        default: nil
        }
    }
}

extension PageController.HistoryView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": at
        case "digest": digest
        case "short": short
        case "verdict": verdict
        case "by": by
        default: nil
        }
    }
}

extension PageController.TagView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "tag": tag
        case "digest": digest
        case "from": from
        case "grade": grade
        case "nextDrop": nextDrop
        case "hold": hold
        case "history": history
        default: nil
        }
    }
}

extension PageController.ChangeView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": at
        case "action": action
        case "actor": actor
        case "image": image
        case "tag": tag
        case "digest": digest
        case "short": short
        case "reason": reason
        case "summary": summary
        case "flags": flags
        case "id": id
        default: nil
        }
    }
}

extension PageController.AdvisoryView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "severity": severity
        case "package": package
        case "installed": installed
        case "fixed": fixed
        case "exception": exception
        default: nil
        }
    }
}

extension CuratorPages.QueueItem: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "image": image
        case "tag": tag
        case "digest": digest
        case "short": short
        case "seen": seen
        case "flags": flags
        case "replaces": replaces
        case "platformsGained": platformsGained
        case "platformsLost": platformsLost
        case "added": added
        case "removed": removed
        case "upgraded": upgraded
        case "downgraded": downgraded
        case "fixed": fixed
        case "introduced": introduced
        case "hasDiff": hasDiff
        case "csrf": csrf
        default: nil
        }
    }
}

extension CuratorPages.EventView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "at": at
        case "actor": actor
        case "action": action
        case "subject": subject
        case "image": image
        case "reason": reason
        default: nil
        }
    }
}
