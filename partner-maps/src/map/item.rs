//! LIN segments to [`Item`]: the id whose qualifier comes first in
//! `dialect.product_id_priority` leads, the others follow in LIN order; NDCs become the
//! canonical 11-digit `N4` when `dialect.ndc_normalize` is on (x12-chargeback.md §3).

use std::borrow::Cow;

use schemas::{Item, ItemId, Text};
use x12::sets::common::Lin;

use super::{Ctx, Path, listed, seen};

/// The 11-digit NDC (5-4-2, no hyphens) for an id sent with an NDC qualifier, or `None` when
/// the form is ambiguous (an unhyphenated 10-digit `ND`) or not an NDC at all.
pub fn normalize_ndc(qualifier: &str, id: &str) -> Option<String> {
    ndc(qualifier, id).map(Cow::into_owned)
}

/// [`normalize_ndc`], borrowing `id` when it is already the canonical form (the usual case:
/// most partners send `N4` 11-digit NDCs).
fn ndc<'a>(qualifier: &str, id: &'a str) -> Option<Cow<'a, str>> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Only a hyphenated id needs splitting (most are sent as 11 digits).
    let mut parts = id.split('-');
    if id.as_bytes().contains(&b'-')
        && let (Some(l), Some(p), Some(k), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        && [l, p, k].iter().all(|p| digits(p))
    {
        // A hyphenated NDC says its own layout: pad the short part with a zero.
        return match (l.len(), p.len(), k.len()) {
            (5, 4, 2) => Some(format!("{l}{p}{k}").into()),
            (4, 4, 2) => Some(format!("0{l}{p}{k}").into()),
            (5, 3, 2) => Some(format!("{l}0{p}{k}").into()),
            (5, 4, 1) => Some(format!("{l}{p}0{k}").into()),
            _ => None,
        };
    }
    if !digits(id) {
        return None;
    }
    match (qualifier, id.len()) {
        ("N4" | "ND" | "N1" | "N2" | "N3", 11) => Some(Cow::Borrowed(id)),
        ("N1", 10) => Some(format!("0{id}").into()),
        ("N2", 10) => Some(format!("{}0{}", &id[..5], &id[5..]).into()),
        ("N3", 10) => Some(format!("{}0{}", &id[..9], &id[9..]).into()),
        _ => None,
    }
}

/// A LIN id and its qualifier as the item carries them: an NDC as the canonical `N4` when
/// `normalize` is on and the id reads as one, anything else as sent.
fn normalized<'a>(normalize: bool, q: &'a str, id: &'a str) -> (&'a str, Cow<'a, str>) {
    match normalize && is_ndc(q) {
        true => match ndc(q, id) {
            Some(n) => ("N4", n),
            None => (q, Cow::Borrowed(id)),
        },
        false => (q, Cow::Borrowed(id)),
    }
}

/// True for the qualifiers that carry an NDC.
fn is_ndc(qualifier: &str) -> bool {
    matches!(qualifier, "N4" | "ND" | "N1" | "N2" | "N3")
}

/// The usual LIN, one id with a listed qualifier: its qualifier and normalized id (no list of
/// ids to build, sort out and drop; what the general path of [`item`] would give).
fn only_id<'a>(ctx: &Ctx<'_>, lin: &'a Lin) -> Option<(&'a str, Cow<'a, str>)> {
    let [p] = lin.ids.as_slice() else {
        return None;
    };
    let (q, id) = normalized(ctx.dialect.ndc_normalize, p.qualifier.code(), &p.id);
    ctx.dialect
        .product_id_priority
        .iter()
        .any(|want| want.as_str() == q)
        .then_some((q, id))
}

/// The item of a LIN, or an error at `path` (the LIN) when no id has a qualifier the
/// profile lists.
pub(crate) fn item(ctx: &mut Ctx<'_>, lin: &Lin, path: Path, line: Option<&str>) -> Option<Item> {
    if let Some((q, id)) = only_id(ctx, lin) {
        return Some(Item {
            qualifier: q.into(),
            id: id.into(),
            other_ids: Vec::new(),
        });
    }
    let normalize = ctx.dialect.ndc_normalize;
    let priority = &ctx.dialect.product_id_priority;
    // Borrowed from the LIN until the item is built: only the ids kept become strings.
    let mut ids: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(lin.ids.len());
    for p in &lin.ids {
        let id = normalized(normalize, p.qualifier.code(), &p.id);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let lead = priority
        .iter()
        .find_map(|want| ids.iter().position(|(q, _)| q == want));
    let Some(lead) = lead else {
        let first = ids.first().map_or("", |(q, _)| q).to_owned();
        ctx.invalid_code(
            path,
            line,
            "item",
            Some("dialect.product_id_priority"),
            (2, "235"),
            &first,
            format!(
                "LIN qualifiers {} not in {}",
                seen(ids.iter().map(|(q, _)| *q)),
                listed(priority)
            ),
        );
        return None;
    };
    let (qualifier, id) = ids.remove(lead);
    Some(Item {
        qualifier: qualifier.into(),
        id: id.into(),
        other_ids: ids
            .into_iter()
            .map(|(qualifier, id)| ItemId {
                qualifier: qualifier.into(),
                id: id.into(),
            })
            .collect(),
    })
}

/// [`required_item`] for a LIN mapped once and dropped: an id sent as the item needs it is
/// taken out of the LIN rather than copied.
pub(crate) fn take_required_item(
    ctx: &mut Ctx<'_>,
    lin: Option<&mut Lin>,
    loop_path: Path,
    lin_path: Path,
    line: Option<&str>,
) -> Option<Item> {
    let Some(lin) = lin else {
        return required_item(ctx, None, loop_path, lin_path, line);
    };
    let Some((q, id)) = only_id(ctx, lin) else {
        return required_item(ctx, Some(lin), loop_path, lin_path, line);
    };
    let qualifier = q.into();
    // A normalized id is already a new string; one used as sent is taken.
    let normalized = match id {
        Cow::Owned(n) => Some(Text::from(n)),
        Cow::Borrowed(_) => None,
    };
    let id = normalized.or_else(|| lin.ids.first_mut().map(|p| std::mem::take(&mut p.id)));
    Some(Item {
        qualifier,
        id: id.unwrap_or_default(),
        other_ids: Vec::new(),
    })
}

/// The LIN of a line, or an error when the line has none.
pub(crate) fn required_item(
    ctx: &mut Ctx<'_>,
    lin: Option<&Lin>,
    loop_path: Path,
    lin_path: Path,
    line: Option<&str>,
) -> Option<Item> {
    match lin {
        Some(lin) => item(ctx, lin, lin_path, line),
        None => {
            ctx.missing_segment(
                loop_path,
                line,
                "item",
                Some("dialect.product_id_priority"),
                "LIN",
                "the line has no LIN".to_owned(),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The LIN ids translate takes out of a line instead of copying give the item copying
    /// gives, with the same errors; only an id used as sent is taken.
    #[test]
    fn taking_the_item_gives_what_copying_it_gives() {
        use x12::sets::common::{ProductId, ProductIdQualifier};
        let profile = crate::Profile::default_for_unknown("t");
        let lin = |pairs: &[(&str, &str)]| Lin {
            assigned_id: None,
            ids: pairs
                .iter()
                .map(|(q, id)| ProductId {
                    qualifier: ProductIdQualifier::from_code(q),
                    id: (*id).into(),
                })
                .collect(),
        };
        // (LIN, whether its id is taken)
        let cases = [
            (lin(&[("N4", "34567212190")]), true),
            (lin(&[("N2", "4567212190")]), false),
            (lin(&[("N4", "34567-2121-90")]), false),
            (lin(&[("VP", "P-1"), ("N4", "34567212190")]), false),
            (lin(&[("ZZ", "X-1")]), false),
        ];
        let (at_qty, at_lin) = (Path::at("QTY", 0), Path::at("LIN", 0));
        for (case, taken) in cases {
            let mut copying = Ctx::new(&profile, false);
            let copied = required_item(&mut copying, Some(&case), at_qty, at_lin, Some("1"));
            let mut taking = Ctx::new(&profile, false);
            let mut source = case.clone();
            let took =
                take_required_item(&mut taking, Some(&mut source), at_qty, at_lin, Some("1"));
            assert_eq!(took, copied, "{case:?}");
            assert_eq!(taking.errors, copying.errors, "{case:?}");
            assert_eq!(source.ids[0].id.is_empty(), taken, "{case:?}");
        }
    }

    #[test]
    fn hyphenated_ndcs_pad_their_short_part() {
        assert_eq!(
            normalize_ndc("N4", "12345-6789-01").as_deref(),
            Some("12345678901")
        );
        assert_eq!(
            normalize_ndc("ND", "1234-5678-90").as_deref(),
            Some("01234567890")
        );
        assert_eq!(
            normalize_ndc("ND", "12345-678-90").as_deref(),
            Some("12345067890")
        );
        assert_eq!(
            normalize_ndc("ND", "12345-6789-0").as_deref(),
            Some("12345678900")
        );
    }

    #[test]
    fn unhyphenated_ten_digits_need_the_layout_qualifier() {
        assert_eq!(
            normalize_ndc("N1", "1234567890").as_deref(),
            Some("01234567890")
        );
        assert_eq!(
            normalize_ndc("N2", "1234567890").as_deref(),
            Some("12345067890")
        );
        assert_eq!(
            normalize_ndc("N3", "1234567890").as_deref(),
            Some("12345678900")
        );
        assert_eq!(normalize_ndc("ND", "1234567890"), None, "ambiguous");
        assert_eq!(
            normalize_ndc("N4", "12345010001").as_deref(),
            Some("12345010001")
        );
        assert_eq!(normalize_ndc("UP", "312345010003"), None);
    }
}
