//! The per-flow app-layer state: one parser per detected protocol, fed with
//! reassembled stream data (or UDP payloads), and the views detection and
//! output take of its transactions.

use super::http::{HttpState, HttpTx};
use crate::detect::Buffers;
use crate::rules::ast::{AppProto, Buffer};

/// Finished transactions kept for inspection and alert metadata.
const KEEP_DONE_TXS: u64 = 8;

/// Parser state of a flow whose protocol has a parser.
#[derive(Debug)]
pub enum AppState {
    /// HTTP/1.x.
    Http(Box<HttpState>),
}

/// A transaction seen from one direction (buffers that exist in both
/// directions resolve to that direction's side).
pub struct TxView<'a> {
    /// Transaction id.
    pub id: u64,
    inner: TxInner<'a>,
    to_server: bool,
}

enum TxInner<'a> {
    Http(&'a HttpTx),
}

impl Buffers for TxView<'_> {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        match self.inner {
            TxInner::Http(tx) => tx.buffer_dir(b, self.to_server),
        }
    }
}

impl AppState {
    /// A parser for `proto`, when mirador has one.
    pub fn for_proto(proto: AppProto) -> Option<AppState> {
        match proto {
            AppProto::Http => Some(AppState::Http(Box::default())),
            _ => None,
        }
    }

    /// Feeds data of one direction.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) {
        match self {
            AppState::Http(h) => h.parse(to_server, data),
        }
    }

    /// Signals a hole in one direction's stream.
    pub fn gap(&mut self, to_server: bool) {
        match self {
            AppState::Http(h) => h.gap(to_server),
        }
    }

    /// One direction ended (FIN).
    pub fn close_dir(&mut self, to_server: bool) {
        match self {
            AppState::Http(h) => h.close_dir(to_server),
        }
    }

    /// The connection ended.
    pub fn close(&mut self) {
        match self {
            AppState::Http(h) => h.close(),
        }
    }

    /// Live transactions, seen from `to_server`'s side.
    pub fn tx_views<'a>(&'a self, to_server: bool, out: &mut Vec<TxView<'a>>) {
        match self {
            AppState::Http(h) => {
                out.extend(h.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Http(tx), to_server }))
            }
        }
    }

    /// The EVE object (key, value) for an alert: the matched transaction,
    /// else the most recent one.
    pub fn eve_for(&self, tx: Option<u64>) -> Option<(&'static str, serde_json::Value)> {
        match self {
            AppState::Http(h) => {
                let t = match tx {
                    Some(id) => h.tx(id),
                    None => h.txs().last(),
                }?;
                Some(("http", t.eve()))
            }
        }
    }

    /// Frees finished transactions; returns the lowest id still live (or
    /// the next id), so detection can forget older ones.
    pub fn collect(&mut self) -> u64 {
        match self {
            AppState::Http(h) => {
                let next = h.txs().last().map_or(0, |t| t.id + 1);
                // Finished transactions stay until several newer ones
                // exist, so the packets after their completion (in both
                // directions) still inspect them.
                h.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                h.txs().next().map_or(next, |t| t.id)
            }
        }
    }
}
