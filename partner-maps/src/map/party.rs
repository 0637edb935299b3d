//! N1 loops to [`Party`]: heading parties by their N103/N104, end customers and eligible
//! members by the first id in `dialect.customer_id_priority`.
//!
//! A customer may carry ids besides its N103/N104: `REF*DH` (DEA) and `REF*HI` (HIN) stand
//! for the N103 qualifiers `11` and `21`. The id chosen is the one whose qualifier comes
//! first in the priority list; the others stay in `refs`, so nothing the partner sent is lost
//! and rendering writes the chosen id back into the N1.

use schemas::{Address, Party, Reference, Text};
use x12::sets::common::{N1Loop, Ref};

use super::{Ctx, Path, listed, seen};

/// N103 qualifier that a party REF01 stands for.
fn ref_as_n103(ref01: &str) -> Option<&'static str> {
    match ref01 {
        "DH" => Some("11"),
        "HI" => Some("21"),
        _ => None,
    }
}

/// REF01 that carries an id of N103 qualifier `n103` as an extra party reference.
pub(crate) fn n103_as_ref(n103: &str) -> Option<&'static str> {
    match n103 {
        "11" => Some("DH"),
        "21" => Some("HI"),
        _ => None,
    }
}

/// The first heading N1 loop whose N101 is in `entities`, as a party identified by its
/// N103/N104; an error when there is none.
pub(crate) fn heading_party(
    ctx: &mut Ctx<'_>,
    parties: &[N1Loop],
    entities: &[String],
    field: &'static str,
    key: &'static str,
) -> Option<Party> {
    match find_entity(parties, entities) {
        Some((i, l)) => plain_party(ctx, l, Path::at("N1", i), None, field),
        None => {
            ctx.missing_segment(
                Path::HEADING,
                None,
                field,
                Some(key),
                "N1",
                format!(
                    "no heading N1 with N101 in {}; found {}",
                    listed(entities),
                    seen(parties.iter().map(|p| p.party.entity.code()))
                ),
            );
            None
        }
    }
}

/// Like [`heading_party`] for an optional party: `None` without an error when absent.
pub(crate) fn optional_heading_party(
    ctx: &mut Ctx<'_>,
    parties: &[N1Loop],
    entities: &[String],
    field: &'static str,
) -> Option<Party> {
    let (i, l) = find_entity(parties, entities)?;
    plain_party(ctx, l, Path::at("N1", i), None, field)
}

/// The first loop whose N101 is listed, with its index.
pub(crate) fn find_entity<'l>(
    parties: &'l [N1Loop],
    entities: &[String],
) -> Option<(usize, &'l N1Loop)> {
    parties
        .iter()
        .enumerate()
        .find(|(_, p)| entities.iter().any(|e| e == p.party.entity.code()))
}

/// A party identified by its own N103/N104 (suppliers, distributors, GPOs).
pub(crate) fn plain_party(
    ctx: &mut Ctx<'_>,
    l: &N1Loop,
    path: Path,
    line: Option<&str>,
    field: &'static str,
) -> Option<Party> {
    let (Some(q), Some(_)) = (&l.party.id_qualifier, &l.party.id) else {
        ctx.missing_element(
            path,
            line,
            field,
            None,
            (3, "66"),
            format!("N1*{} has no N103/N104 id", l.party.entity.code()),
        );
        return None;
    };
    let qualifier = Text::from(q.code());
    let mut l = party_parts(l);
    Some(Party {
        kind: Some(ctx.dialect.party_kind(&qualifier)),
        qualifier,
        id: l.party.id.take().unwrap_or_default(),
        name: l.party.name.take(),
        additional_names: take_names(&mut l),
        address: take_address(&mut l),
        refs: take_references(&mut l.refs, |_| true),
    })
}

/// An end customer or eligible member, identified by the first id in
/// `dialect.customer_id_priority` among its N103/N104 and its `REF*DH`/`REF*HI`. `REF*TD`
/// (an 845 membership change) is not an id and is left out.
pub(crate) fn customer(
    ctx: &mut Ctx<'_>,
    l: &N1Loop,
    path: Path,
    line: Option<&str>,
    field: &'static str,
) -> Option<Party> {
    take_customer(ctx, &mut party_parts(l), path, line, field)
}

/// A copy of what a party is made of (N1, N2s, N3s, N4, REFs), for the taking builders; the
/// rest of the loop is not copied.
fn party_parts(l: &N1Loop) -> N1Loop {
    let mut parts = N1Loop::new(l.party.clone());
    parts.names = l.names.clone();
    parts.address = l.address.clone();
    parts.place = l.place.clone();
    parts.refs = l.refs.clone();
    parts
}

/// [`customer`] for a loop mapped once and dropped: the party's text (ids, name, address) is
/// taken out of `l` rather than copied.
pub(crate) fn take_customer(
    ctx: &mut Ctx<'_>,
    l: &mut N1Loop,
    path: Path,
    line: Option<&str>,
    field: &'static str,
) -> Option<Party> {
    let priority = &ctx.dialect.customer_id_priority;
    let rank = |q: &str| priority.iter().position(|p| p == q);
    let own = match (&l.party.id_qualifier, &l.party.id) {
        (Some(q), Some(id)) => Some((q.code(), id.as_str())),
        _ => None,
    };
    // (rank, qualifier, index of the REF the id came from)
    let mut best: Option<(usize, &str, Option<usize>)> =
        own.and_then(|(q, _)| rank(q).map(|r| (r, q, None)));
    for (i, r) in l.refs.iter().enumerate() {
        let (Some(q), Some(_)) = (ref_as_n103(r.qualifier.code()), r.value.as_deref()) else {
            continue;
        };
        if let Some(rk) = rank(q)
            && best.is_none_or(|b| rk < b.0)
        {
            best = Some((rk, q, Some(i)));
        }
    }
    let Some((_, q, from_ref)) = best else {
        let found = own.map_or_else(|| "no N103/N104".to_owned(), |(q, _)| format!("N103 {q:?}"));
        let (element, value) = own.map_or((4, ""), |(q, _)| (3, q));
        if own.is_some() {
            ctx.invalid_code(
                path,
                line,
                field,
                Some("dialect.customer_id_priority"),
                (element, "66"),
                value,
                format!(
                    "no id with a qualifier in {}: {found}",
                    listed(&ctx.dialect.customer_id_priority)
                ),
            );
        } else {
            ctx.error(
                path,
                line,
                field,
                Some("dialect.customer_id_priority"),
                super::MapErrorKind::MissingElement {
                    element: 3,
                    reference: Some("66"),
                },
                format!(
                    "no {field}: no id with a qualifier in {}: {found}",
                    listed(&ctx.dialect.customer_id_priority)
                ),
            );
        }
        return None;
    };
    let qualifier = Text::from(q);
    // The N1's own id, when a REF's won, is kept with the other ids under this qualifier.
    let own_qualifier = from_ref
        .and(own)
        .map(|(q, _)| Text::from(n103_as_ref(q).unwrap_or(q)));
    // Everything is read; the text moves out of the loop from here on.
    let id = match from_ref {
        Some(i) => l.refs.get_mut(i).and_then(|r| r.value.take()),
        None => l.party.id.take(),
    };
    let mut refs = take_references(&mut l.refs, |i| Some(i) != from_ref);
    if let Some(own_qualifier) = own_qualifier {
        refs.push(Reference {
            qualifier: own_qualifier,
            id: l.party.id.take().unwrap_or_default(),
            description: None,
        });
    }
    Some(Party {
        kind: Some(ctx.dialect.party_kind(&qualifier)),
        qualifier,
        id: id.unwrap_or_default(),
        name: l.party.name.take(),
        additional_names: take_names(l),
        address: take_address(l),
        refs,
    })
}

/// REF segments as references, skipping `REF*TD` and those `keep` refuses (by index); their
/// values and descriptions are taken out of `refs`.
fn take_references(refs: &mut [Ref], keep: impl Fn(usize) -> bool) -> Vec<Reference> {
    refs.iter_mut()
        .enumerate()
        .filter(|(i, r)| keep(*i) && r.qualifier.code() != "TD")
        .filter_map(|(_, r)| {
            Some(Reference {
                qualifier: r.qualifier.code().into(),
                id: r.value.take()?,
                description: r.description.take(),
            })
        })
        .collect()
}

/// N201/N202 of every N2, in order, taken out of `l`.
fn take_names(l: &mut N1Loop) -> Vec<Text> {
    let mut names = Vec::new();
    for n2 in &mut l.names {
        names.push(Text::from(std::mem::take(&mut n2.name)));
        names.extend(n2.name2.take().map(Text::from));
    }
    names
}

/// N3/N4 as an address, taken out of `l`; `None` when the loop has neither.
fn take_address(l: &mut N1Loop) -> Option<Address> {
    if l.address.is_empty() && l.place.is_none() {
        return None;
    }
    let mut lines = Vec::new();
    for n3 in &mut l.address {
        lines.push(std::mem::take(&mut n3.line1));
        lines.extend(n3.line2.take());
    }
    let place = l.place.take();
    let (city, state, postal_code, country) = match place {
        Some(p) => (p.city, p.state, p.postal_code, p.country),
        None => (None, None, None, None),
    };
    Some(Address {
        lines,
        city,
        state,
        postal_code,
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use x12::sets::common::{EntityCode, IdQualifier, N1, RefQualifier};

    fn n1(q: &str, id: &str) -> N1Loop {
        N1Loop::new(N1 {
            entity: EntityCode::ShipTo,
            name: Some("LAKESIDE".into()),
            id_qualifier: Some(IdQualifier::from_code(q)),
            id: Some(id.into()),
            relationship: None,
            related_entity: None,
        })
    }

    #[test]
    fn customer_takes_the_first_id_in_priority_order_and_keeps_the_others() {
        let mut p = Profile::default_for_unknown("x");
        p.dialect.customer_id_priority = vec!["21".into(), "11".into()];
        let mut ctx = Ctx::new(&p, false);
        let mut l = n1("11", "AR1234563");
        l.refs.push(Ref::new(RefQualifier::Hin, "1A2B3C4D5"));
        let party =
            customer(&mut ctx, &l, Path::at("N1", 0), None, "end customer").expect("identified");
        assert_eq!(
            (party.qualifier.as_str(), party.id.as_str()),
            ("21", "1A2B3C4D5")
        );
        assert_eq!(party.refs.len(), 1);
        assert_eq!(party.refs[0].qualifier, "DH");
        assert_eq!(party.refs[0].id, "AR1234563");
    }

    #[test]
    fn customer_without_a_known_qualifier_is_an_error_naming_the_profile_key() {
        let p = Profile::default_for_unknown("x");
        let mut ctx = Ctx::new(&p, false);
        let l = n1("92", "C-004512");
        assert!(customer(&mut ctx, &l, Path::at("N1", 0), Some("3"), "end customer").is_none());
        let (result, _) = ctx.finish(());
        let errors = result.expect_err("an error");
        let e = &errors.0[0];
        assert_eq!(e.profile_key, Some("dialect.customer_id_priority"));
        assert!(e.message.contains("N103 \"92\""), "{}", e.message);
    }
}
