//! `flowint`: per-flow unsigned 32-bit variables.
//!
//! Conditions (`==`, `!=`, `<`, `<=`, `>`, `>=`, `isset`, `notset`) are
//! tested with the flowbit conditions, before the signature matches;
//! changes (`=`, `+`, `-`) are applied, in rule order, when it matches
//! (with its flowbit changes). Suricata runs `flowint` among the packet
//! keywords, so its changes also happen when a later app-layer part of the
//! rule fails; mirador changes the variables on matches only. Arithmetic
//! wraps at 2^32 as Suricata's does; `+` and `-` on an unset variable set
//! it to the operand, as Suricata does.

use std::collections::HashMap;

use super::signature::{FlowintCheck, FlowintValue, Signature};
use super::FlowState;
use crate::rules::ast::{Flowint, FlowintOp, Value};

/// Interns the variable names of a rule's flowint operations.
pub(super) fn intern(ops: &[Flowint], ids: &mut HashMap<String, u32>) -> Vec<FlowintCheck> {
    let mut id = |n: &str| {
        let next = ids.len() as u32;
        *ids.entry(n.to_string()).or_insert(next)
    };
    ops.iter()
        .map(|f| FlowintCheck {
            op: f.op,
            var: id(&f.name),
            value: f.value.as_ref().map(|v| match v {
                // The parser keeps numbers within 0..=u32::MAX.
                Value::Num(n) => FlowintValue::Num(u32::try_from(*n).unwrap_or(u32::MAX)),
                Value::Var(name) => FlowintValue::Var(id(name)),
            }),
        })
        .collect()
}

/// Evaluation rank among signatures: setters before readers, as flowbits.
pub(super) fn rank(s: &Signature) -> u8 {
    match (s.writes_flowints(), s.reads_flowints()) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

impl FlowState {
    /// A flowint variable's value, if set.
    pub fn flowint(&self, id: u32) -> Option<u32> {
        self.ints.binary_search_by_key(&id, |&(k, _)| k).ok().map(|i| self.ints[i].1)
    }

    fn set_flowint(&mut self, id: u32, v: u32) {
        match self.ints.binary_search_by_key(&id, |&(k, _)| k) {
            Ok(i) => self.ints[i].1 = v,
            Err(i) => self.ints.insert(i, (id, v)),
        }
    }
}

fn operand(v: Option<FlowintValue>, st: &FlowState) -> Option<u32> {
    match v? {
        FlowintValue::Num(n) => Some(n),
        FlowintValue::Var(id) => st.flowint(id),
    }
}

/// The signature's flowint conditions all hold (an unset variable, or an
/// unset variable as operand, fails every condition but `notset`).
pub(super) fn hold(s: &Signature, st: &FlowState) -> bool {
    s.flowints.iter().filter(|f| !f.op.modifies()).all(|f| {
        let cur = st.flowint(f.var);
        match f.op {
            FlowintOp::IsSet => cur.is_some(),
            FlowintOp::NotSet => cur.is_none(),
            op => {
                let (Some(a), Some(b)) = (cur, operand(f.value, st)) else { return false };
                match op {
                    FlowintOp::Eq => a == b,
                    FlowintOp::Ne => a != b,
                    FlowintOp::Lt => a < b,
                    FlowintOp::Le => a <= b,
                    FlowintOp::Gt => a > b,
                    _ => a >= b,
                }
            }
        }
    })
}

/// Applies the signature's flowint changes, in rule order.
pub(super) fn apply(s: &Signature, st: &mut FlowState) {
    for f in s.flowints.iter().filter(|f| f.op.modifies()) {
        let Some(v) = operand(f.value, st) else { continue };
        let new = match (f.op, st.flowint(f.var)) {
            (FlowintOp::Add, Some(cur)) => cur.wrapping_add(v),
            (FlowintOp::Sub, Some(cur)) => cur.wrapping_sub(v),
            _ => v,
        };
        st.set_flowint(f.var, new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(ops: &[(FlowintOp, Option<FlowintValue>)]) -> Signature {
        let rule = crate::rules::parse_rule("alert ip any any -> any any (sid:1;)").expect("rule");
        let vars = crate::rules::Vars::default();
        let classes = crate::rules::Classifications::default();
        let datasets = super::super::dataset::Registry::new(std::path::Path::new("."));
        let c = super::super::signature::Compiler { vars: &vars, classes: &classes, datasets: &datasets };
        let (mut s, _) = c.compile(&rule, None).expect("compiles");
        s.flowints = ops.iter().map(|&(op, value)| FlowintCheck { op, var: 0, value }).collect();
        s
    }

    #[test]
    fn conditions_and_changes() {
        let mut st = FlowState::default();
        let add = sig(&[(FlowintOp::Add, Some(FlowintValue::Num(1)))]);
        let gt1 = sig(&[(FlowintOp::Gt, Some(FlowintValue::Num(1)))]);
        let notset = sig(&[(FlowintOp::NotSet, None)]);
        assert!(hold(&notset, &st) && !hold(&gt1, &st));
        apply(&add, &mut st);
        assert_eq!(st.flowint(0), Some(1));
        assert!(!hold(&notset, &st) && !hold(&gt1, &st));
        apply(&add, &mut st);
        assert!(hold(&gt1, &st));
        // `-` on an unset variable sets it, as in Suricata; arithmetic wraps.
        let mut st = FlowState::default();
        let sub = sig(&[(FlowintOp::Sub, Some(FlowintValue::Num(3)))]);
        apply(&sub, &mut st);
        assert_eq!(st.flowint(0), Some(3));
        apply(&sub, &mut st);
        apply(&sub, &mut st);
        assert_eq!(st.flowint(0), Some(u32::MAX - 2));
        // An unset variable as operand changes nothing and fails conditions.
        let from_var = sig(&[(FlowintOp::Set, Some(FlowintValue::Var(7)))]);
        let eq_var = sig(&[(FlowintOp::Eq, Some(FlowintValue::Var(7)))]);
        apply(&from_var, &mut st);
        assert_eq!(st.flowint(0), Some(u32::MAX - 2));
        assert!(!hold(&eq_var, &st));
    }

    #[test]
    fn interning_shares_ids() {
        let mut ids = HashMap::new();
        let ops = [
            Flowint { name: "a".into(), op: FlowintOp::Add, value: Some(Value::Num(1)) },
            Flowint { name: "b".into(), op: FlowintOp::Gt, value: Some(Value::Var("a".into())) },
        ];
        let c = intern(&ops, &mut ids);
        assert_eq!(c[0].var, 0);
        assert_eq!((c[1].var, c[1].value), (1, Some(FlowintValue::Var(0))));
    }
}
