//! File and folder names in drop folders: which partner ids and outbound names are accepted,
//! which inbox names are temporary uploads, and how a clashing name gets a numbered variant.

use super::error::{DropError, DropResult};

/// Suffixes that SFTP clients and editors give to files still being written: our own and
/// OpenSSH users' `.part`, WinSCP's `.filepart`, FileZilla and others' `.partial`/`.tmp`,
/// browsers' `.crdownload`. Compared case-insensitively.
const TEMP_SUFFIXES: [&str; 5] = [".part", ".filepart", ".partial", ".tmp", ".crdownload"];

/// Longest partner id: a Linux user name is limited to 32 bytes, and the SFTP layout pairs a
/// partner with a system user of the same name.
const MAX_PARTNER_LEN: usize = 32;

/// Whether an inbox entry is a temporary name that must never be taken as a complete file:
/// a partial-upload suffix (`.part`, `.filepart`, `.partial`, `.tmp`, `.crdownload`, any
/// case), a trailing `~` (editor backups), or a leading dot (hidden files, rsync's
/// `.name.XXXXXX` temporaries, editor swap files).
pub fn is_temporary_name(name: &str) -> bool {
    if name.starts_with('.') || name.ends_with('~') {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    TEMP_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
}

/// Checks that a partner id can name a folder (and a system user for SFTP).
pub fn check_partner(partner: &str) -> DropResult<()> {
    let refuse = |reason| {
        Err(DropError::InvalidPartner {
            partner: partner.to_owned(),
            reason,
        })
    };
    if partner.is_empty() {
        return refuse("empty");
    }
    if partner.len() > MAX_PARTNER_LEN {
        return refuse("longer than 32 bytes");
    }
    if partner.starts_with(['.', '-']) {
        return refuse("starts with a dot or a dash");
    }
    if !partner
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return refuse("only ASCII letters, digits, '.', '_' and '-' are allowed");
    }
    Ok(())
}

/// Checks that an outbound name is a plain, final file name: partners must never see it as a
/// path or mistake it for a temporary file.
pub fn check_file_name(name: &str) -> DropResult<()> {
    let refuse = |reason| {
        Err(DropError::InvalidFileName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("empty");
    }
    if name.len() > 200 {
        // Leaves room for the `.part` and numbered suffixes under the usual 255-byte limit.
        return refuse("longer than 200 bytes");
    }
    if name.contains(['/', '\\']) {
        return refuse("contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return refuse("contains a control character");
    }
    if is_temporary_name(name) {
        return refuse("looks like a temporary name (leading dot, '~' or a partial-upload suffix)");
    }
    Ok(())
}

/// The `n`-th alternative for a clashing name: `n` goes before the last extension so partners'
/// tools still recognise the type (`x.edi` → `x.1.edi`, `README` → `README.1`).
pub fn numbered_name(name: &str, n: u32) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}.{n}{}", &name[..dot], &name[dot..]),
        _ => format!("{name}.{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised() {
        for name in [
            "x.edi.part",
            "x.edi.PART",
            "x.edi.filepart",
            "x.partial",
            "x.tmp",
            "x.edi~",
            ".x.edi.Ab12Cd",
            ".hidden",
        ] {
            assert!(is_temporary_name(name), "{name}");
        }
        for name in ["x.edi", "part", "x.parts", "x.edi.1", "report.tmpl"] {
            assert!(!is_temporary_name(name), "{name}");
        }
    }

    #[test]
    fn partner_ids_that_could_escape_or_break_a_user_name_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            ".hidden",
            "-x",
            "a b",
            "é",
            &"a".repeat(33),
        ] {
            assert!(check_partner(bad).is_err(), "{bad:?}");
        }
        for good in ["acme", "acme-dist_2", "a.b", &"a".repeat(32)] {
            assert!(check_partner(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn outbound_names_must_be_plain_final_names() {
        for bad in ["", "a/b", "..", ".x", "x.part", "x~", "a\nb", "a\\b"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name("997_acme_000000001.x12").is_ok());
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name("x.edi", 1), "x.1.edi");
        assert_eq!(numbered_name("a.b.x12", 3), "a.b.3.x12");
        assert_eq!(numbered_name("README", 2), "README.2");
        assert_eq!(numbered_name(".rc", 2), ".rc.2");
    }
}
