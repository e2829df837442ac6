//! Arrow IPC (feather v2, as freqtrade writes candles) and Parquet (freqtrade
//! and nautilus trades), read batch by batch with arrow-rs. Columns are found
//! by name as for CSV ([`Columns`]); rows are counted from 1.

use std::fmt::Write as _;
use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, TimeUnit};

use crate::engine::{Engine, Planned};
use crate::error::Error;
use crate::input::Format;
use crate::rows::{Columns, RowFeeder, RowValues, row_loc};
use crate::sink::{parse_time_us, to_us};

/// Rows per batch read (bounded memory).
const BATCH: usize = 8192;

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>>;

/// Reads an Arrow IPC or Parquet file; returns the rows read.
pub(crate) fn read(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let file = File::open(&item.path).map_err(|err| Error::io(&item.path, err))?;
    let bad = |what: &str, err: &dyn std::fmt::Display| Error::Unsupported {
        path: item.path.clone(),
        reason: format!("not a readable {what} file: {err}"),
    };
    let (schema, batches): (arrow_schema::SchemaRef, Batches) = match item.format {
        Format::ArrowIpc => {
            let r = arrow_ipc::reader::FileReader::try_new(file, None)
                .map_err(|err| bad("Arrow IPC", &err))?;
            (r.schema(), Box::new(r))
        }
        _ => {
            let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|err| bad("Parquet", &err))?
                .with_batch_size(BATCH);
            let r = b.build().map_err(|err| bad("Parquet", &err))?;
            (r.schema(), Box::new(r))
        }
    };
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut cols = Columns::resolve(&names);
    cols.index = names.iter().position(|n| n == "__index_level_0__");
    let mut feeder = RowFeeder::for_columns(e, item, &cols, "trades")?;
    let mut n: u64 = 0;
    let mut payload = String::new();
    for batch in batches {
        let batch = batch
            .map_err(|err| Error::record(&item.path, n + 1, format!("unreadable batch: {err}")))?;
        let c = |i: Option<usize>| i.map(|i| batch.column(i).clone());
        let (id, first, last, time, vol) = (
            c(cols.id),
            c(cols.first),
            c(cols.last),
            c(cols.time),
            c(cols.volume),
        );
        for r in 0..batch.num_rows() {
            n += 1;
            let idv = id.as_ref().and_then(|a| int_at(a, r));
            let agg = match (
                idv,
                first.as_ref().and_then(|a| int_at(a, r)),
                last.as_ref().and_then(|a| int_at(a, r)),
            ) {
                (Some(a), Some(f), Some(l)) => Some((a, f, l)),
                _ => None,
            };
            let vals = RowValues {
                id: idv,
                agg,
                time_us: time.as_ref().and_then(|a| time_at(a, r)),
                volume: vol.as_ref().and_then(|a| f64_at(a, r)),
                id_not_integer: idv.is_none() && id.as_ref().is_some_and(|a| a.is_valid(r)),
                // Arrow IDs are read as integers only: a string ID column is
                // scanned as rows without IDs.
                key: None,
            };
            payload.clear();
            for (ci, col) in batch.columns().iter().enumerate() {
                if Some(ci) != cols.index {
                    render(&mut payload, col, r);
                    payload.push('\u{1f}');
                }
            }
            feeder.row(e, &row_loc(&item.shown, n), vals, payload.as_bytes())?;
        }
    }
    feeder.end(e, &row_loc(&item.shown, n));
    Ok(n)
}

fn int_at(a: &ArrayRef, r: usize) -> Option<u64> {
    if !a.is_valid(r) {
        return None;
    }
    match a.data_type() {
        DataType::Int64 => u64::try_from(a.as_primitive::<Int64Type>().value(r)).ok(),
        DataType::Int32 => u64::try_from(a.as_primitive::<Int32Type>().value(r)).ok(),
        DataType::UInt64 => Some(a.as_primitive::<UInt64Type>().value(r)),
        DataType::UInt32 => Some(u64::from(a.as_primitive::<UInt32Type>().value(r))),
        DataType::Utf8 => a.as_string::<i32>().value(r).trim().parse().ok(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(r).trim().parse().ok(),
        DataType::Utf8View => a.as_string_view().value(r).trim().parse().ok(),
        _ => None,
    }
}

fn time_at(a: &ArrayRef, r: usize) -> Option<i64> {
    if !a.is_valid(r) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().value(r) * 1_000_000
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            a.as_primitive::<TimestampMillisecondType>().value(r) * 1_000
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            a.as_primitive::<TimestampMicrosecondType>().value(r)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            a.as_primitive::<TimestampNanosecondType>().value(r) / 1_000
        }
        DataType::Int64 => to_us(a.as_primitive::<Int64Type>().value(r)),
        DataType::Float64 => to_us(a.as_primitive::<Float64Type>().value(r) as i64),
        DataType::Utf8 => parse_time_us(a.as_string::<i32>().value(r).as_bytes())?,
        DataType::LargeUtf8 => parse_time_us(a.as_string::<i64>().value(r).as_bytes())?,
        _ => return None,
    })
}

fn f64_at(a: &ArrayRef, r: usize) -> Option<f64> {
    if !a.is_valid(r) {
        return None;
    }
    match a.data_type() {
        DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(r)),
        DataType::Float32 => Some(f64::from(a.as_primitive::<Float32Type>().value(r))),
        DataType::Int64 => Some(a.as_primitive::<Int64Type>().value(r) as f64),
        DataType::Utf8 => a.as_string::<i32>().value(r).trim().parse().ok(),
        _ => None,
    }
}

fn render(out: &mut String, a: &ArrayRef, r: usize) {
    if !a.is_valid(r) {
        return;
    }
    match a.data_type() {
        DataType::Utf8 => out.push_str(a.as_string::<i32>().value(r)),
        DataType::LargeUtf8 => out.push_str(a.as_string::<i64>().value(r)),
        DataType::Utf8View => out.push_str(a.as_string_view().value(r)),
        DataType::Float64 => {
            let _ = write!(out, "{}", a.as_primitive::<Float64Type>().value(r));
        }
        DataType::Float32 => {
            let _ = write!(out, "{}", a.as_primitive::<Float32Type>().value(r));
        }
        DataType::Boolean => {
            let _ = write!(out, "{}", a.as_boolean().value(r));
        }
        _ => match (int_at(a, r), time_at(a, r)) {
            (Some(v), _) => {
                let _ = write!(out, "{v}");
            }
            (None, Some(t)) => {
                let _ = write!(out, "{t}");
            }
            _ => out.push('?'),
        },
    }
}
