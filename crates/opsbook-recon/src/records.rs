//! The records reconciliation compares, and how a mapped row becomes one.
//!
//! [`Fill`] is compact (88 bytes: three exact decimals, two packed IDs,
//! interned names) because the fills join holds one per internal row — ten
//! million of them in the benchmark. The other kinds are small and owned.

use rust_decimal::Decimal;

pub use crate::batch::Loc;
use crate::batch::{Build, Ctx};
use crate::decimal;
use crate::ids::{Id, Name};
use crate::mapping::{Cells, FastFill, Plan, Side, int_of, parse_side, trim};
use crate::profile::{Field, RecordKind};

/// One execution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    /// Base quantity (positive).
    pub qty: Decimal,
    /// Price in quote units.
    pub price: Decimal,
    /// Fee in `fee_asset` (zero and `HAS_FEE` unset when absent).
    pub fee: Decimal,
    /// Execution time, ms since the Unix epoch (UTC).
    pub ts_ms: i64,
    /// Trade ID (unique per exchange and symbol).
    pub trade: Id,
    /// Order ID (`Id::NONE` when absent).
    pub order: Id,
    /// Interned `exchange \u{1f} symbol`.
    pub inst: Name,
    /// Interned fee asset (0 when absent).
    pub fee_asset: Name,
    /// 1-based line.
    pub line: u32,
    /// Input index on its side.
    pub file: u8,
    /// Buy or sell.
    pub side: Side,
    /// Bit flags (`HAS_FEE`, and engine marks).
    pub flags: u8,
}

/// [`Fill::flags`]: the row has a fee.
pub const HAS_FEE: u8 = 1;
/// [`Fill::flags`]: the fill is later than its order's cancel (set by the engine).
pub const AFTER_CANCEL: u8 = 2;

impl Fill {
    /// Where it came from.
    #[must_use]
    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            line: u64::from(self.line),
        }
    }
}

/// Splits an instrument name back into (exchange, symbol).
#[must_use]
pub fn split_inst(s: &str) -> (&str, &str) {
    s.split_once('\u{1f}').unwrap_or(("", s))
}

/// Quote assets recognised at the end of a concatenated symbol (`ETHBTC`),
/// longest first.
const QUOTES: &[&str] = &[
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "EURI", "USD", "EUR", "GBP", "TRY", "BRL",
    "JPY", "AUD", "BTC", "ETH", "BNB", "XBT", "DAI",
];

/// Major base assets: a concatenated symbol whose split leaves one of these
/// as the base is read that way (`XBTUSD` is XBT/USD, not XB/TUSD).
const BASES: &[&str] = &[
    "BTC", "XBT", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "TRX", "DOT", "LTC", "LINK", "AVAX",
    "MATIC", "BCH", "ETC", "XLM", "ATOM", "UNI",
];

/// Splits a symbol into (base, quote): `BTC/USDT`, `BTC-USDT`, `BTC_USDT`,
/// or a concatenated `ETHBTC` whose quote is a known quote asset (a split
/// leaving a major base asset wins; else the longest quote).
#[must_use]
pub fn split_symbol(symbol: &str) -> Option<(String, String)> {
    if let Some((b, q)) = symbol.split_once(['/', '-', '_']) {
        let q = q.split(':').next().unwrap_or(q);
        return (!b.is_empty() && !q.is_empty()).then(|| (b.to_string(), q.to_string()));
    }
    let splits: Vec<(&str, &str)> = QUOTES
        .iter()
        .filter_map(|q| {
            let b = symbol.strip_suffix(q)?;
            (!b.is_empty()).then_some((b, *q))
        })
        .collect();
    splits
        .iter()
        .find(|(b, _)| BASES.contains(b))
        .or_else(|| splits.first())
        .map(|(b, q)| ((*b).to_string(), (*q).to_string()))
}

fn need<T>(v: Option<T>, plan: &Plan, f: Field) -> Result<T, String> {
    v.ok_or_else(|| format!("missing `{}` (column `{}`)", f.as_str(), plan.label(f)))
}

fn line32(line: u64) -> Result<u32, String> {
    u32::try_from(line).map_err(|_| "more than 4,294,967,295 lines".to_string())
}

/// Builds [`Fill`]s.
pub(crate) struct FillBuild;

impl Build for FillBuild {
    type Out = Fill;

    #[inline]
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>) -> Result<Fill, String> {
        if let Some(fast) = &plan.fast {
            return fast_fill(fast, plan, row, ctx);
        }
        let exchange = plan.raw(Field::Exchange, row);
        let symbol = need(plan.raw(Field::Symbol, row), plan, Field::Symbol)?;
        let inst = ctx
            .local
            .intern_pair(ctx.names, exchange.as_deref().unwrap_or(b""), &symbol);
        let trade_raw = need(plan.raw(Field::TradeId, row), plan, Field::TradeId)?;
        let trade = Id::parse(&trade_raw, ctx.arena).map_err(|e| format!("`trade_id`: {e}"))?;
        let order = match plan.raw(Field::OrderId, row) {
            Some(o) => Id::parse(&o, ctx.arena).map_err(|e| format!("`order_id`: {e}"))?,
            None => Id::NONE,
        };
        let side = plan.side(row)?;
        let qty = need(plan.dec(Field::Qty, row)?, plan, Field::Qty)?;
        let price = need(plan.dec(Field::Price, row)?, plan, Field::Price)?;
        let fee = plan.dec(Field::Fee, row)?;
        let fee_asset = match plan.raw(Field::FeeAsset, row) {
            Some(a) => ctx.local.intern(ctx.names, &a),
            None => 0,
        };
        let ts_ms = need(plan.ts(Field::Ts, row)?, plan, Field::Ts)?;
        Ok(Fill {
            qty,
            price,
            fee: fee.unwrap_or(Decimal::ZERO),
            ts_ms,
            trade,
            order,
            inst,
            fee_asset,
            line: line32(ctx.line)?,
            file: ctx.file,
            side,
            flags: if fee.is_some() { HAS_FEE } else { 0 },
        })
    }
}

/// [`FillBuild`] for plain-column profiles: the same result, less work.
#[inline]
fn fast_fill<C: Cells>(
    ff: &FastFill,
    plan: &Plan,
    row: &C,
    ctx: &mut Ctx<'_>,
) -> Result<Fill, String> {
    let cell = |slot: usize| row.cell(slot).map(trim).filter(|c| !c.is_empty());
    let cell_of = |slot: usize, f: Field| {
        cell(slot).ok_or_else(|| format!("missing `{}` (column `{}`)", f.as_str(), plan.label(f)))
    };
    let exchange: &[u8] = match &ff.exchange {
        Ok(s) => cell(*s).unwrap_or(b""),
        Err(c) => c,
    };
    let symbol = cell_of(ff.symbol, Field::Symbol)?;
    let inst = ctx.local.intern_pair(ctx.names, exchange, symbol);
    let trade = Id::parse(cell_of(ff.trade, Field::TradeId)?, ctx.arena)
        .map_err(|e| format!("`trade_id`: {e}"))?;
    let order = match ff.order.and_then(cell) {
        Some(o) => Id::parse(o, ctx.arena).map_err(|e| format!("`order_id`: {e}"))?,
        None => Id::NONE,
    };
    let side_cell = cell_of(ff.side, Field::Side)?;
    let side = parse_side(side_cell).ok_or_else(|| {
        format!(
            "`side` (column `{}`): `{}` is not buy or sell",
            plan.label(Field::Side),
            String::from_utf8_lossy(side_cell)
        )
    })?;
    let dec = |slot: usize, f: Field| -> Result<Decimal, String> {
        decimal::parse(cell_of(slot, f)?)
            .map_err(|e| format!("`{}` (column `{}`): {e}", f.as_str(), plan.label(f)))
    };
    let qty = dec(ff.qty, Field::Qty)?;
    let price = dec(ff.price, Field::Price)?;
    let fee = match ff.fee.and_then(cell) {
        Some(c) => Some(
            decimal::parse(c)
                .map_err(|e| format!("`fee` (column `{}`): {e}", plan.label(Field::Fee)))?,
        ),
        None => None,
    };
    let fee_asset = match ff.fee_asset.and_then(cell) {
        Some(a) => ctx.local.intern(ctx.names, a),
        None => 0,
    };
    let ts_cell = cell_of(ff.ts, Field::Ts)?;
    let ts_ms = match int_of(ts_cell) {
        Some(t) => t,
        None => plan.ts(Field::Ts, row)?.unwrap_or(0),
    };
    Ok(Fill {
        qty,
        price,
        fee: fee.unwrap_or(Decimal::ZERO),
        ts_ms,
        trade,
        order,
        inst,
        fee_asset,
        line: line32(ctx.line)?,
        file: ctx.file,
        side,
        flags: if fee.is_some() { HAS_FEE } else { 0 },
    })
}

/// An order's normalised status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderStatus {
    /// Accepted, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// A cancel was requested and not yet confirmed.
    PendingCancel,
    /// Cancelled (possibly after partial fills).
    Canceled,
    /// Expired (time in force, or self-trade prevention).
    Expired,
    /// Rejected.
    Rejected,
}

impl OrderStatus {
    /// Parses an exchange's status (`FILLED`, `PartiallyFilled`, `partially_filled`, `Cancelled`, …).
    #[must_use]
    pub fn parse(s: &str) -> Option<OrderStatus> {
        let k: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match k.as_str() {
            "new" | "open" | "accepted" | "pendingnew" => OrderStatus::New,
            "partiallyfilled" | "partial" | "partfilled" => OrderStatus::PartiallyFilled,
            "filled" | "done" | "closed" => OrderStatus::Filled,
            "pendingcancel" => OrderStatus::PendingCancel,
            "canceled" | "cancelled" => OrderStatus::Canceled,
            "expired" | "expiredinmatch" => OrderStatus::Expired,
            "rejected" => OrderStatus::Rejected,
            _ => return None,
        })
    }

    /// The status's name in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Rejected => "rejected",
        }
    }

    /// Whether no more fills may follow.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Expired
                | OrderStatus::Rejected
        )
    }
}

/// One order's state.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRec {
    /// Exchange name.
    pub exchange: String,
    /// Symbol.
    pub symbol: String,
    /// Order ID as text.
    pub order_id: String,
    /// Side, when given.
    pub side: Option<Side>,
    /// Ordered quantity.
    pub qty: Option<Decimal>,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Executed quantity.
    pub executed: Option<Decimal>,
    /// Average execution price.
    pub avg_price: Option<Decimal>,
    /// Executed quote quantity (Σ qty × price).
    pub cum_quote: Option<Decimal>,
    /// Status.
    pub status: Option<OrderStatus>,
    /// Status text as written.
    pub status_text: Option<String>,
    /// Creation time, ms.
    pub ts_ms: Option<i64>,
    /// Time of the last change (the cancel, for a cancelled order), ms.
    pub update_ms: Option<i64>,
    /// Source.
    pub loc: Loc,
}

pub(crate) struct OrderBuild;

impl Build for OrderBuild {
    type Out = OrderRec;
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>) -> Result<OrderRec, String> {
        let status_text = plan.text(Field::Status, row);
        let status = match &status_text {
            Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
                format!(
                    "`status` (column `{}`): unknown order status `{s}`",
                    plan.label(Field::Status)
                )
            })?),
            None => None,
        };
        let side = if plan.raw(Field::Side, row).is_some() {
            Some(plan.side(row)?)
        } else {
            None
        };
        Ok(OrderRec {
            exchange: plan.text(Field::Exchange, row).unwrap_or_default(),
            symbol: need(plan.text(Field::Symbol, row), plan, Field::Symbol)?,
            order_id: need(plan.text(Field::OrderId, row), plan, Field::OrderId)?,
            side,
            qty: plan.dec(Field::Qty, row)?,
            price: plan.dec(Field::Price, row)?,
            executed: plan.dec(Field::ExecutedQty, row)?,
            avg_price: plan.dec(Field::AvgPrice, row)?,
            cum_quote: plan.dec(Field::CumQuote, row)?,
            status,
            status_text,
            ts_ms: plan.ts(Field::Ts, row)?,
            update_ms: plan.ts(Field::UpdateTs, row)?,
            loc: ctx.loc(),
        })
    }
}

/// A holding at a point in time: a position (per symbol) or a balance (per
/// asset and account), with the opening the export may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    /// Exchange name.
    pub exchange: String,
    /// Account (wallet) name, empty when not given.
    pub account: String,
    /// The symbol (positions) or the asset (balances).
    pub item: String,
    /// Quantity (positions: signed, short < 0) or amount (balances).
    pub qty: Decimal,
    /// Quantity or amount at `opening_ms`, when the export carries it.
    pub opening: Option<Decimal>,
    /// Time of `opening`, ms.
    pub opening_ms: Option<i64>,
    /// Snapshot time, ms.
    pub ts_ms: Option<i64>,
    /// Source.
    pub loc: Loc,
}

/// Builds [`Holding`]s from positions or balances rows.
pub(crate) struct HoldingBuild(pub RecordKind);

impl Build for HoldingBuild {
    type Out = Holding;
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>) -> Result<Holding, String> {
        let positions = self.0 == RecordKind::Positions;
        let (item, qty, opening) = if positions {
            (Field::Symbol, Field::Qty, Field::OpeningQty)
        } else {
            (Field::Asset, Field::Amount, Field::Opening)
        };
        let mut q = need(plan.dec(qty, row)?, plan, qty)?;
        // A position export may give a side and an unsigned size.
        if positions
            && plan.raw(Field::Side, row).is_some()
            && plan.side(row)? == Side::Sell
            && q.is_sign_positive()
        {
            q = -q;
        }
        Ok(Holding {
            exchange: plan.text(Field::Exchange, row).unwrap_or_default(),
            account: plan.text(Field::Account, row).unwrap_or_default(),
            item: need(plan.text(item, row), plan, item)?,
            qty: q,
            opening: plan.dec(opening, row)?,
            opening_ms: plan.ts(Field::OpeningTs, row)?,
            ts_ms: plan.ts(Field::Ts, row)?,
            loc: ctx.loc(),
        })
    }
}

/// What a balance movement is, for the breakdown of a balance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A trade leg (base or quote).
    Trade,
    /// A fee.
    Fee,
    /// An internal transfer between the owner's accounts (legs net to zero).
    Transfer,
    /// A deposit from outside.
    Deposit,
    /// A withdrawal to outside.
    Withdrawal,
    /// Perpetual funding.
    Funding,
    /// Realised profit and loss.
    RealisedPnl,
    /// Interest, staking rewards, distributions.
    Reward,
    /// Subscriptions to and redemptions from earn products.
    Earn,
    /// Anything else.
    Other,
}

impl Category {
    /// All categories, in report order.
    pub const ALL: [Category; 10] = [
        Category::Trade,
        Category::Fee,
        Category::Transfer,
        Category::Deposit,
        Category::Withdrawal,
        Category::Funding,
        Category::RealisedPnl,
        Category::Reward,
        Category::Earn,
        Category::Other,
    ];

    /// The category's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Trade => "trade",
            Category::Fee => "fee",
            Category::Transfer => "transfer",
            Category::Deposit => "deposit",
            Category::Withdrawal => "withdrawal",
            Category::Funding => "funding",
            Category::RealisedPnl => "realised_pnl",
            Category::Reward => "reward",
            Category::Earn => "earn",
            Category::Other => "other",
        }
    }

    /// The category of that name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One balance movement.
#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    /// Exchange name.
    pub exchange: String,
    /// Account (wallet) name, empty when not given.
    pub account: String,
    /// Asset.
    pub asset: String,
    /// Signed amount (credit > 0).
    pub amount: Decimal,
    /// Category.
    pub category: Category,
    /// The operation as the export writes it.
    pub operation: Option<String>,
    /// Running balance after this movement, when the export carries one.
    pub balance: Option<Decimal>,
    /// Transfer ID grouping the legs of one transfer.
    pub transfer_id: Option<String>,
    /// Status (`cancelled` movements never change a balance).
    pub status: Option<String>,
    /// Time, ms.
    pub ts_ms: Option<i64>,
    /// Source.
    pub loc: Loc,
}

impl Movement {
    /// Whether the movement was cancelled (and so must not move a balance).
    #[must_use]
    pub fn cancelled(&self) -> bool {
        self.status.as_deref().is_some_and(|s| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "canceled" | "cancelled" | "failed" | "rejected"
            )
        })
    }
}

pub(crate) struct MovementBuild;

impl Build for MovementBuild {
    type Out = Movement;
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>) -> Result<Movement, String> {
        let category = match plan.text(Field::Category, row) {
            Some(c) => Category::parse(&c).ok_or_else(|| {
                format!(
                    "`category` (column `{}`): `{c}` is not one of {}",
                    plan.label(Field::Category),
                    Category::ALL.map(Category::as_str).join(", ")
                )
            })?,
            None => Category::Other,
        };
        let ts_ms = plan.ts(Field::Ts, row)?;
        if ts_ms.is_none() && plan.mandatory(Field::Ts) {
            return Err(format!("missing `ts` (column `{}`)", plan.label(Field::Ts)));
        }
        if let Some(op) = plan.unmapped(Field::Category, row) {
            ctx.notes.push((
                ctx.line,
                format!(
                    "operation `{op}` is not in the profile's map: counted as {}",
                    category.as_str()
                ),
            ));
        }
        Ok(Movement {
            exchange: plan.text(Field::Exchange, row).unwrap_or_default(),
            account: plan.text(Field::Account, row).unwrap_or_default(),
            asset: need(plan.text(Field::Asset, row), plan, Field::Asset)?,
            amount: need(plan.dec(Field::Amount, row)?, plan, Field::Amount)?,
            category,
            operation: plan.text(Field::Operation, row),
            balance: plan.dec(Field::Balance, row)?,
            transfer_id: plan.text(Field::TransferId, row),
            status: plan.text(Field::Status, row),
            ts_ms,
            loc: ctx.loc(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_split_into_base_and_quote() {
        let s = |x: &str| split_symbol(x).map(|(b, q)| format!("{b} {q}"));
        assert_eq!(s("ETHBTC").as_deref(), Some("ETH BTC"));
        assert_eq!(s("BTCFDUSD").as_deref(), Some("BTC FDUSD"));
        assert_eq!(s("XRP/ETH").as_deref(), Some("XRP ETH"));
        assert_eq!(s("BTC-USD").as_deref(), Some("BTC USD"));
        assert_eq!(s("BTC/USDT:USDT").as_deref(), Some("BTC USDT"));
        assert_eq!(s("XBTUSD").as_deref(), Some("XBT USD"));
        assert_eq!(s("BTCTUSD").as_deref(), Some("BTC TUSD"));
        assert_eq!(s("WEIRD"), None);
    }

    #[test]
    fn a_fill_stays_small() {
        assert_eq!(std::mem::size_of::<Fill>(), 88);
    }

    #[test]
    fn statuses_as_venues_spell_them() {
        for (s, want) in [
            ("FILLED", OrderStatus::Filled),
            ("PartiallyFilled", OrderStatus::PartiallyFilled),
            ("PARTIALLY_FILLED", OrderStatus::PartiallyFilled),
            ("Cancelled", OrderStatus::Canceled),
            ("CANCELED", OrderStatus::Canceled),
            ("EXPIRED_IN_MATCH", OrderStatus::Expired),
            ("New", OrderStatus::New),
        ] {
            assert_eq!(OrderStatus::parse(s), Some(want), "{s}");
        }
        assert_eq!(OrderStatus::parse("weird"), None);
    }
}
