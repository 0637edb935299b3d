//! The thin layer under the queries: typed arguments, rows and one `Exec` trait implemented by
//! a PostgreSQL and a SQLite connection.
//!
//! The queries in `queries` are written once, with `$N` placeholders that both databases accept.
//! What differs between the backends is how a value is stored: PostgreSQL keeps UUID,
//! TIMESTAMPTZ, NUMERIC and JSONB natively, while SQLite (STRICT tables) keeps all four as TEXT.
//! That mapping lives here, so a query never sees it. Decimals never pass through a float on
//! either side.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::types::Json;
use sqlx::{
    Column as _, PgConnection, Postgres, Row as _, Sqlite, SqliteConnection, TypeInfo as _,
};
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL 13 or later.
    Postgres,
    /// SQLite 3.37 or later (STRICT tables, RETURNING, upserts).
    Sqlite,
}

/// One bound value. The variant says how the value is stored, not only its Rust type.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Bytes(Option<Vec<u8>>),
    Uuid(Option<Uuid>),
    Time(Option<DateTime<Utc>>),
    /// Already checked and rescaled by [`money`].
    Decimal(Option<Decimal>),
    /// JSON text: serialized once when bound, never a cloned `Value` tree (a big document's
    /// tree is several times the size of its text).
    Json(Option<Box<RawValue>>),
    /// A list of texts: a `text[]` on PostgreSQL (`unnest($n::text[])`), a JSON array on
    /// SQLite (`json_each(?)`).
    TextList(Vec<String>),
}

/// JSON text bound as plain text, for the columns that store it as TEXT on both backends
/// (line payloads and document bodies): PostgreSQL then neither lexes nor rebuilds it.
pub(crate) fn json_as_text(value: impl Into<Arg>) -> Arg {
    match value.into() {
        Arg::Json(json) => Arg::Text(json.map(|raw| String::from(Box::<str>::from(raw)))),
        other => other,
    }
}

/// `value` as JSON text. Serializing a `Value` cannot fail: its keys are strings.
fn raw_json(value: &Value) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(value).ok()
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Uuid(Some(v))
    }
}
impl From<Option<Uuid>> for Arg {
    fn from(v: Option<Uuid>) -> Self {
        Arg::Uuid(v)
    }
}
/// Both backends keep microseconds; truncating here (PostgreSQL would round) makes a stored
/// time read back the same from either.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(micros(v)))
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Time(v.map(micros))
    }
}
impl From<&crate::model::JsonText> for Arg {
    fn from(v: &crate::model::JsonText) -> Self {
        Arg::Json(Some(v.raw().to_owned()))
    }
}
impl From<&Value> for Arg {
    fn from(v: &Value) -> Self {
        Arg::Json(raw_json(v))
    }
}
impl From<Option<&Value>> for Arg {
    fn from(v: Option<&Value>) -> Self {
        Arg::Json(v.and_then(raw_json))
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Arg::Bytes(Some(v.to_vec()))
    }
}

/// Scale of amounts (NUMERIC(18,2)).
pub(crate) const AMOUNT_SCALE: u32 = 2;
/// Scale of unit prices and quantities (NUMERIC(18,6)).
pub(crate) const PRICE_SCALE: u32 = 6;

/// Checks that `value` fits NUMERIC(18, `scale`) without rounding and returns it rescaled, so
/// both backends store and return the same digits (`10.5` is stored as `10.50`).
pub(crate) fn checked_decimal(
    field: &'static str,
    value: Decimal,
    scale: u32,
) -> StoreResult<Decimal> {
    let normalized = value.normalize();
    if normalized.scale() > scale {
        return Err(StoreError::InvalidValue {
            field,
            reason: format!("{value} has more than {scale} decimal places"),
        });
    }
    let mut rescaled = normalized;
    rescaled.rescale(scale);
    // NUMERIC(18, s) holds at most 18 - s digits before the point.
    let limit = Decimal::from_i128_with_scale(10i128.pow(18 - scale), 0);
    if rescaled.abs() >= limit {
        return Err(StoreError::InvalidValue {
            field,
            reason: format!("{value} does not fit NUMERIC(18,{scale})"),
        });
    }
    Ok(rescaled)
}

/// [`checked_decimal`] as a bound argument.
pub(crate) fn money(field: &'static str, value: Decimal, scale: u32) -> StoreResult<Arg> {
    Ok(Arg::Decimal(Some(checked_decimal(field, value, scale)?)))
}

/// [`money`] for an optional value.
pub(crate) fn opt_money(
    field: &'static str,
    value: Option<Decimal>,
    scale: u32,
) -> StoreResult<Arg> {
    match value {
        Some(v) => money(field, v, scale),
        None => Ok(Arg::Decimal(None)),
    }
}

/// Text form of a timestamp (SQLite columns, COPY data): fixed width, microseconds, `Z`, so
/// text order is time order and the precision matches PostgreSQL's.
fn text_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn bind_pg<'q>(q: Query<'q, Postgres, PgArguments>, arg: Arg) -> Query<'q, Postgres, PgArguments> {
    match arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Bool(v) => q.bind(v),
        Arg::Bytes(v) => q.bind(v),
        Arg::Uuid(v) => q.bind(v),
        Arg::Time(v) => q.bind(v),
        Arg::Decimal(v) => q.bind(v),
        Arg::Json(v) => q.bind(v.map(Json)),
        Arg::TextList(v) => q.bind(v),
    }
}

fn bind_sqlite<'q>(
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
    arg: Arg,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Bool(v) => q.bind(v),
        Arg::Bytes(v) => q.bind(v),
        Arg::Uuid(v) => q.bind(v.map(|u| u.hyphenated().to_string())),
        Arg::Time(v) => q.bind(v.as_ref().map(text_time)),
        Arg::Decimal(v) => q.bind(v.map(|d| d.to_string())),
        Arg::Json(v) => q.bind(v.map(|j| String::from(Box::<str>::from(j)))),
        Arg::TextList(v) => q.bind(Value::from(v).to_string()),
    }
}

/// Maps a driver error, turning unique-constraint violations into [`StoreError::Duplicate`].
pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error().filter(|db| db.is_unique_violation()) {
        let what = db
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db.message().to_owned());
        return StoreError::Duplicate { what };
    }
    StoreError::Database(e)
}

/// A row from either backend, read by column name.
pub(crate) enum Row {
    Pg(PgRow),
    Sqlite(SqliteRow),
}

fn corrupt(column: &str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: reason.to_string(),
    }
}

impl Row {
    fn get<T>(&self, column: &str) -> StoreResult<T>
    where
        T: for<'r> sqlx::Decode<'r, Postgres>
            + sqlx::Type<Postgres>
            + for<'r> sqlx::Decode<'r, Sqlite>
            + sqlx::Type<Sqlite>,
    {
        match self {
            Row::Pg(r) => r.try_get(column),
            Row::Sqlite(r) => r.try_get(column),
        }
        .map_err(|e| corrupt(column, e))
    }

    pub(crate) fn text(&self, column: &str) -> StoreResult<String> {
        self.get(column)
    }

    pub(crate) fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column)
    }

    pub(crate) fn int(&self, column: &str) -> StoreResult<i64> {
        self.get(column)
    }

    pub(crate) fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.get(column)
    }

    pub(crate) fn opt_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        self.get(column)
    }

    pub(crate) fn uuid(&self, column: &str) -> StoreResult<Uuid> {
        self.opt_uuid(column)?
            .ok_or_else(|| corrupt(column, "unexpected null"))
    }

    pub(crate) fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>> {
        match self {
            Row::Pg(r) => r.try_get(column).map_err(|e| corrupt(column, e)),
            Row::Sqlite(r) => {
                let s: Option<String> = r.try_get(column).map_err(|e| corrupt(column, e))?;
                s.map(|s| Uuid::parse_str(&s).map_err(|e| corrupt(column, e)))
                    .transpose()
            }
        }
    }

    pub(crate) fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        self.opt_time(column)?
            .ok_or_else(|| corrupt(column, "unexpected null"))
    }

    pub(crate) fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        match self {
            Row::Pg(r) => r.try_get(column).map_err(|e| corrupt(column, e)),
            Row::Sqlite(r) => {
                let s: Option<String> = r.try_get(column).map_err(|e| corrupt(column, e))?;
                s.map(|s| {
                    DateTime::parse_from_rfc3339(&s)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|e| corrupt(column, e))
                })
                .transpose()
            }
        }
    }

    pub(crate) fn decimal(&self, column: &str) -> StoreResult<Decimal> {
        self.opt_decimal(column)?
            .ok_or_else(|| corrupt(column, "unexpected null"))
    }

    pub(crate) fn opt_decimal(&self, column: &str) -> StoreResult<Option<Decimal>> {
        match self {
            Row::Pg(r) => r.try_get(column).map_err(|e| corrupt(column, e)),
            Row::Sqlite(r) => {
                let s: Option<String> = r.try_get(column).map_err(|e| corrupt(column, e))?;
                s.map(|s| Decimal::from_str_exact(&s).map_err(|e| corrupt(column, e)))
                    .transpose()
            }
        }
    }

    pub(crate) fn json(&self, column: &str) -> StoreResult<Value> {
        Ok(self.opt_json(column)?.unwrap_or(Value::Null))
    }

    pub(crate) fn json_text(&self, column: &str) -> StoreResult<crate::model::JsonText> {
        Ok(self
            .opt_json_text(column)?
            .unwrap_or_else(|| RawValue::NULL.to_owned().into()))
    }

    /// Whether `column` comes back as PostgreSQL `JSON` or `JSONB`; JSON kept as `TEXT` (line
    /// payloads and document bodies since 0010, 849s since 0019, everything on SQLite) is
    /// read as a string.
    fn holds_pg_json(&self, column: &str) -> bool {
        matches!(self, Row::Pg(r) if r.try_column(column)
            .is_ok_and(|c| c.type_info().name() != "TEXT"))
    }

    pub(crate) fn opt_json_text(
        &self,
        column: &str,
    ) -> StoreResult<Option<crate::model::JsonText>> {
        let raw: Option<Box<RawValue>> = match self {
            Row::Pg(r) if self.holds_pg_json(column) => r
                .try_get::<Option<Json<Box<RawValue>>>, _>(column)
                .map(|j| j.map(|Json(v)| v))
                .map_err(|e| corrupt(column, e))?,
            _ => self
                .opt_text(column)?
                .map(|s| RawValue::from_string(s).map_err(|e| corrupt(column, e)))
                .transpose()?,
        };
        Ok(raw.map(Into::into))
    }

    pub(crate) fn opt_json(&self, column: &str) -> StoreResult<Option<Value>> {
        match self {
            Row::Pg(r) if self.holds_pg_json(column) => r
                .try_get::<Option<Json<Value>>, _>(column)
                .map(|j| j.map(|Json(v)| v))
                .map_err(|e| corrupt(column, e)),
            _ => self
                .opt_text(column)?
                .map(|s| Value::from_str(&s).map_err(|e| corrupt(column, e)))
                .transpose(),
        }
    }
}

/// Runs statements on one connection of either backend.
#[async_trait]
pub(crate) trait Exec: Send {
    fn dialect(&self) -> Dialect;
    /// Runs a statement and returns the number of rows it affected.
    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<u64>;
    async fn fetch_all(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Vec<Row>>;
    async fn fetch_optional(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Option<Row>>;
    /// Streams `parts`, one after the other (binary COPY rows, see [`crate::copy::CopyData`]),
    /// into `COPY ... FROM STDIN`; PostgreSQL only.
    async fn copy_in(&mut self, statement: &str, parts: &[&[u8]]) -> StoreResult<u64> {
        let mut none = std::io::empty();
        self.copy_in_reading(statement, parts, &mut none, &[]).await
    }
    /// [`Exec::copy_in`] of `head`, then all `body` reads, then `tail`: a value too large to
    /// hold goes from where it is (a spooled file) to the server a MiB at a time.
    async fn copy_in_reading(
        &mut self,
        statement: &str,
        head: &[&[u8]],
        body: &mut (dyn std::io::Read + Send),
        tail: &[u8],
    ) -> StoreResult<u64>;
}

#[async_trait]
impl Exec for PgConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<u64> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_pg);
        Ok(q.execute(self).await.map_err(db_error)?.rows_affected())
    }

    async fn fetch_all(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Vec<Row>> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_pg);
        let rows = q.fetch_all(self).await.map_err(db_error)?;
        Ok(rows.into_iter().map(Row::Pg).collect())
    }

    async fn fetch_optional(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Option<Row>> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_pg);
        Ok(q.fetch_optional(self).await.map_err(db_error)?.map(Row::Pg))
    }

    async fn copy_in_reading(
        &mut self,
        statement: &str,
        head: &[&[u8]],
        body: &mut (dyn std::io::Read + Send),
        tail: &[u8],
    ) -> StoreResult<u64> {
        // Sent a MiB at a time: the driver copies what it sends into its write buffer, which
        // would otherwise grow to the whole chunk (or document) and hold a second copy of it.
        const MESSAGE: usize = 1 << 20;
        let mut copy = self.copy_in_raw(statement).await.map_err(db_error)?;
        let sent = async {
            for piece in head.iter().flat_map(|p| p.chunks(MESSAGE)) {
                copy.send(piece).await.map_err(db_error)?;
            }
            let mut block = vec![0u8; MESSAGE];
            loop {
                match body.read(&mut block) {
                    Ok(0) => break,
                    Ok(n) => copy.send(&block[..n]).await.map(|_| ()).map_err(db_error)?,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(StoreError::Read(e)),
                }
            }
            if !tail.is_empty() {
                copy.send(tail).await.map_err(db_error)?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = sent {
            // Aborting tells the server to end the COPY; the send error is the one to report.
            let _ = copy.abort("send failed").await;
            return Err(e);
        }
        copy.finish().await.map_err(db_error)
    }
}

#[async_trait]
impl Exec for SqliteConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<u64> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_sqlite);
        Ok(q.execute(self).await.map_err(db_error)?.rows_affected())
    }

    async fn fetch_all(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Vec<Row>> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_sqlite);
        let rows = q.fetch_all(self).await.map_err(db_error)?;
        Ok(rows.into_iter().map(Row::Sqlite).collect())
    }

    async fn fetch_optional(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<Option<Row>> {
        let q = args.into_iter().fold(sqlx::query(sql), bind_sqlite);
        Ok(q.fetch_optional(self)
            .await
            .map_err(db_error)?
            .map(Row::Sqlite))
    }

    async fn copy_in_reading(
        &mut self,
        _statement: &str,
        _head: &[&[u8]],
        _body: &mut (dyn std::io::Read + Send),
        _tail: &[u8],
    ) -> StoreResult<u64> {
        Err(StoreError::Database(sqlx::Error::Protocol(
            "COPY is a PostgreSQL statement".into(),
        )))
    }
}

/// `($1, $2, ...), (...)` for a multi-row insert of `rows` rows of `columns` values each.
///
/// SQLite gets anonymous `?` placeholders instead: it resolves a named parameter (`$N`) by a
/// linear scan of the statement's parameter names, which makes binding a statement with
/// thousands of `$N` parameters quadratic.
pub(crate) fn values_placeholders(dialect: Dialect, rows: usize, columns: usize) -> String {
    let mut s = String::with_capacity(rows * columns * 6);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push_str(", ");
            }
            match dialect {
                Dialect::Postgres => {
                    s.push('$');
                    s.push_str(&n.to_string());
                }
                Dialect::Sqlite => s.push('?'),
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("test decimal")
    }

    #[test]
    fn money_rescales_to_column_scale() {
        match money("amount", dec("10.5"), AMOUNT_SCALE) {
            Ok(Arg::Decimal(Some(d))) => assert_eq!(d.to_string(), "10.50"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn money_refuses_rounding_and_overflow() {
        assert!(money("amount", dec("0.001"), AMOUNT_SCALE).is_err());
        assert!(money("amount", dec("10000000000000000"), AMOUNT_SCALE).is_err());
        assert!(money("amount", dec("9999999999999999.99"), AMOUNT_SCALE).is_ok());
        assert!(money("price", dec("0.000001"), PRICE_SCALE).is_ok());
        assert!(money("price", dec("0.0000001"), PRICE_SCALE).is_err());
        // Trailing zeros beyond the scale are not precision: 1.500 is 1.50.
        assert!(money("amount", dec("1.500"), AMOUNT_SCALE).is_ok());
    }

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(
            values_placeholders(Dialect::Postgres, 2, 2),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(values_placeholders(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn text_time_is_fixed_width() {
        let t = DateTime::parse_from_rfc3339("2026-11-03T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(text_time(&t), "2026-11-03T10:00:00.000000Z");
    }
}
