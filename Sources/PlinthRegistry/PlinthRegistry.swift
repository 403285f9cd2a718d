// The OCI distribution client arrives with issue 3 (keep digests current).
// This module exists now so that the package's shape is the one STYLE.md lays out.
import PlinthCore
