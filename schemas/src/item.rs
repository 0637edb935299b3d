//! Product identifiers (LIN segments).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// A product as identified in a LIN segment: the first qualifier/id pair (LIN02/LIN03) plus any
/// further pairs (LIN04/LIN05 ...), e.g. `LIN*1*N4*12345010001*UP*312345010003`.
///
/// Which qualifier comes first is the partner's choice (`N4` NDC in pharma, `VP` manufacturer
/// part in electronics); matching may use any of the ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// LIN02 product/service id qualifier as sent (element 235: `N4`, `UP`, `VP`, `BP`, ...).
    pub qualifier: Text,
    /// LIN03 product/service id, as sent (an NDC keeps the form the partner used).
    pub id: Text,
    /// LIN04 onwards: the other qualifier/id pairs of the same LIN, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_ids: Vec<ItemId>,
}

/// One further product id of a LIN segment (a LIN04/LIN05, LIN06/LIN07, ... pair).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemId {
    /// Product/service id qualifier (element 235) as sent.
    pub qualifier: Text,
    /// Product/service id (element 234).
    pub id: Text,
}
