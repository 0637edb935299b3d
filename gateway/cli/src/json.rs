//! JSON forms of library values for `--json` output. The library types are not
//! `Serialize` on purpose (a serializable type is a wire contract); this is that contract.

use serde_json::{Value, json};
use x12::diagnostic::{Code, Diagnostic, Severity};

/// One diagnostic as JSON.
pub fn diagnostic(d: &Diagnostic) -> Value {
    // A group rejection the AK905 list has no code for has none (`null`).
    let (level, code) = match d.code {
        Code::Interchange(n) => ("interchange", Some(n.code())),
        Code::Group(g) => ("group", g.code()),
        Code::Set(s) => ("set", Some(s.code())),
        Code::Segment(s) => ("segment", Some(s.code())),
        Code::Element(e) => ("element", Some(e.code())),
    };
    let l = &d.location;
    json!({
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "level": level,
        "x12_code": code,
        "ack": d.code.label(),
        "message": d.message,
        "location": {
            "file": l.file,
            "offset": l.offset,
            "interchange": l.interchange,
            "group": l.group,
            "set": l.set,
            "segment_position": l.segment.as_ref().map(|s| s.0),
            "segment_id": l.segment.as_ref().map(|s| s.1.clone()),
            "element": l.element.map(|e| e.element),
            "component": l.element.and_then(|e| e.component),
            "repetition": l.element.and_then(|e| e.repetition),
        },
        "text": d.to_string(),
    })
}
