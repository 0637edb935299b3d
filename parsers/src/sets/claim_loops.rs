//! The CON and PAD loops of the claim (844) and of the claim response (849), read and
//! written in one place.
//!
//! The 849 echoes the 844's loops and adds AAA validations to each: a CON loop holds the
//! contract, its REF/PER/DTM, the end customer's N1 loops and the PAD (line) loops; a PAD
//! loop holds PAD, LIN, PID, UIT, QTY, AMT, REF, DTM and CUR, everything else going to
//! `other`. The two sets keep their own public types (the fields differ by `validations`
//! and the shapes by AAA and the 844's SII loop); [`claim_con_pad_loops!`] gives both the
//! same reader and writer, so a rule of these loops is fixed once for both sets.

/// Defines, in the invoking set module, `read_con_loop` and `read_pad_loop` and the
/// `write` methods of its CON and PAD loop types.
///
/// `con: Type, SHAPE, N1_SHAPE;` names the CON loop type, its shape and the shape of its N1
/// loop; `pad: Type, SHAPE;` the PAD loop type and its shape. `aaa: field;` (849) reads and
/// writes AAA segments into that `Vec<Aaa>` field of both loops; without it (844) an AAA is
/// left to the shape, as any segment the loop does not model.
macro_rules! claim_con_pad_loops {
    (
        con: $con:ident, $con_shape:ident, $con_n1_shape:ident;
        pad: $pad:ident, $pad_shape:ident;
        $(aaa: $aaa:ident;)?
    ) => {
        fn read_con_loop(
            c: &mut $crate::sets::SegmentCursor<'_>,
        ) -> Result<$con, $crate::sets::ReadError> {
            let mut l = $con {
                contract: c.read_segment()?,
                $($aaa: Vec::new(),)?
                refs: Vec::new(),
                contacts: Vec::new(),
                dates: Vec::new(),
                parties: Vec::new(),
                lines: Vec::new(),
                other: Vec::new(),
            };
            while let Some(id) = c.peek_id() {
                match id {
                    $("AAA" => l.$aaa.push(c.read_segment()?),)?
                    "REF" => l.refs.push(c.read_segment()?),
                    "PER" => l.contacts.push(c.read_segment()?),
                    "DTM" => l.dates.push(c.read_segment()?),
                    "N1" => l
                        .parties
                        .push($crate::sets::common::read_n1_loop(c, &$con_n1_shape)?),
                    "PAD" => l.lines.push(read_pad_loop(c)?),
                    _ if c.take_other(&$con_shape, &mut l.other)? => {}
                    _ => break,
                }
            }
            $con_shape.settle(&mut l.other);
            Ok(l)
        }

        impl $con {
            fn write(
                &self,
                version: $crate::dict::Version,
                out: &mut Vec<$crate::envelope::Seg>,
            ) {
                use $crate::sets::cursor::{SegmentType as _, push_all};
                $con_shape.write(version, &self.other, out, |id, out| match id {
                    "CON" => out.push(self.contract.to_seg(version)),
                    $("AAA" => push_all(out, &self.$aaa, version),)?
                    "REF" => push_all(out, &self.refs, version),
                    "PER" => push_all(out, &self.contacts, version),
                    "DTM" => push_all(out, &self.dates, version),
                    "N1" => {
                        for p in &self.parties {
                            p.write(version, &$con_n1_shape, out);
                        }
                    }
                    "PAD" => {
                        for l in &self.lines {
                            l.write(version, out);
                        }
                    }
                    _ => {}
                });
            }
        }

        fn read_pad_loop(
            c: &mut $crate::sets::SegmentCursor<'_>,
        ) -> Result<$pad, $crate::sets::ReadError> {
            let mut l = $pad {
                line: c.read_segment()?,
                product: None,
                $($aaa: Vec::new(),)?
                descriptions: Vec::new(),
                unit_prices: Vec::new(),
                quantities: Vec::new(),
                amounts: Vec::new(),
                refs: Vec::new(),
                dates: Vec::new(),
                currency: None,
                other: Vec::new(),
            };
            while let Some(id) = c.peek_id() {
                match id {
                    "LIN" if l.product.is_none() => l.product = Some(c.read_segment()?),
                    $("AAA" => l.$aaa.push(c.read_segment()?),)?
                    "PID" => l.descriptions.push(c.read_segment()?),
                    "UIT" => l.unit_prices.push(c.read_segment()?),
                    "QTY" => l.quantities.push(c.read_segment()?),
                    "AMT" => l.amounts.push(c.read_segment()?),
                    "REF" => l.refs.push(c.read_segment()?),
                    "DTM" => l.dates.push(c.read_segment()?),
                    "CUR" if l.currency.is_none() => l.currency = Some(c.read_segment()?),
                    _ if c.take_other(&$pad_shape, &mut l.other)? => {}
                    _ => break,
                }
            }
            $pad_shape.settle(&mut l.other);
            Ok(l)
        }

        impl $pad {
            fn write(
                &self,
                version: $crate::dict::Version,
                out: &mut Vec<$crate::envelope::Seg>,
            ) {
                use $crate::sets::cursor::{SegmentType as _, push_all};
                $pad_shape.write(version, &self.other, out, |id, out| match id {
                    "PAD" => out.push(self.line.to_seg(version)),
                    "LIN" => push_all(out, self.product.as_slice(), version),
                    $("AAA" => push_all(out, &self.$aaa, version),)?
                    "PID" => push_all(out, &self.descriptions, version),
                    "UIT" => push_all(out, &self.unit_prices, version),
                    "QTY" => push_all(out, &self.quantities, version),
                    "AMT" => push_all(out, &self.amounts, version),
                    "REF" => push_all(out, &self.refs, version),
                    "DTM" => push_all(out, &self.dates, version),
                    "CUR" => push_all(out, self.currency.as_slice(), version),
                    _ => {}
                });
            }
        }
    };
}

pub(crate) use claim_con_pad_loops;
