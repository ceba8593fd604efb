//! Taproot script trees in wallet policies: `{A,B}` nested to any shape (at most the app's
//! `MAX_TAPTREE_POLICY_DEPTH`), each leaf a tapminiscript (`pk`, `multi_a`, `and_v(…)`, …) or
//! a `sortedmulti_a`, which is not miniscript and may only be a whole leaf (as in the app's
//! parser, `src/common/wallet.c`).

use super::miniscript_template::PolicyMs;
use super::template::{parse_threshold_keys, KeyExpr, TapMs, TemplateError};

/// The app's deepest tap tree (`MAX_TAPTREE_POLICY_DEPTH`; the tree itself is at depth 1).
const MAX_TREE_DEPTH: usize = 9;
/// Most keys in a `sortedmulti_a` (`MAX_PUBKEYS_PER_MULTISIG`).
const MAX_MULTI_A_KEYS: usize = 16;

/// A script tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TapTree {
    Leaf(Box<TapLeaf>),
    Branch(Box<TapTree>, Box<TapTree>),
}

/// One leaf script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TapLeaf {
    Miniscript(TapMs),
    /// `<k1> CHECKSIG <k2> CHECKSIGADD … <t> NUMEQUAL` over the keys in x-only order.
    SortedMultiA {
        threshold: u32,
        keys: Vec<KeyExpr>,
    },
}

impl TapTree {
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        parse_at(text, 1)
    }

    /// The key expressions of every leaf, left to right.
    pub(crate) fn key_exprs(&self, out: &mut Vec<KeyExpr>) {
        match self {
            TapTree::Leaf(leaf) => out.extend(leaf.key_exprs()),
            TapTree::Branch(left, right) => {
                left.key_exprs(out);
                right.key_exprs(out);
            }
        }
    }

    /// The leaf holding `expr`.
    pub(crate) fn leaf_of(&self, expr: &KeyExpr) -> Option<&TapLeaf> {
        match self {
            TapTree::Leaf(leaf) => leaf.key_exprs().contains(expr).then_some(&**leaf),
            TapTree::Branch(left, right) => left.leaf_of(expr).or_else(|| right.leaf_of(expr)),
        }
    }

    /// Every miniscript leaf is sane (the app does not check `sortedmulti_a` leaves).
    pub(crate) fn is_sane(&self) -> bool {
        match self {
            TapTree::Leaf(leaf) => match &**leaf {
                TapLeaf::Miniscript(ms) => ms.is_sane() && ms.older_in_safe_range(),
                TapLeaf::SortedMultiA { .. } => true,
            },
            TapTree::Branch(left, right) => left.is_sane() && right.is_sane(),
        }
    }
}

impl TapLeaf {
    pub(crate) fn key_exprs(&self) -> Vec<KeyExpr> {
        match self {
            TapLeaf::Miniscript(ms) => ms.key_exprs(),
            TapLeaf::SortedMultiA { keys, .. } => keys.clone(),
        }
    }
}

fn parse_at(text: &str, depth: usize) -> Result<TapTree, TemplateError> {
    if depth > MAX_TREE_DEPTH {
        return Err(TemplateError::Invalid);
    }
    let Some(inside) = text.strip_prefix('{') else {
        return parse_leaf(text).map(|leaf| TapTree::Leaf(Box::new(leaf)));
    };
    let inside = inside.strip_suffix('}').ok_or(TemplateError::Invalid)?;
    let split = top_level_comma(inside).ok_or(TemplateError::Invalid)?;
    let (left, right) = (inside.get(..split), inside.get(split + 1..));
    let (Some(left), Some(right)) = (left, right) else {
        return Err(TemplateError::Invalid);
    };
    Ok(TapTree::Branch(
        Box::new(parse_at(left, depth + 1)?),
        Box::new(parse_at(right, depth + 1)?),
    ))
}

/// The byte offset of the first comma outside any parentheses or braces.
fn top_level_comma(text: &str) -> Option<usize> {
    let mut nesting = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '{' => nesting += 1,
            ')' | '}' => nesting -= 1,
            ',' if nesting == 0 => return Some(i),
            _ => {}
        }
        if nesting < 0 {
            return None;
        }
    }
    None
}

fn parse_leaf(text: &str) -> Result<TapLeaf, TemplateError> {
    if let Some(args) = text.strip_prefix("sortedmulti_a(") {
        let args = args.strip_suffix(')').ok_or(TemplateError::Invalid)?;
        let (threshold, keys) = parse_threshold_keys(args, MAX_MULTI_A_KEYS)?;
        return Ok(TapLeaf::SortedMultiA { threshold, keys });
    }
    Ok(TapLeaf::Miniscript(PolicyMs::parse(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_of_any_shape_parse_to_their_leaves() {
        let tree = TapTree::parse("{{pk(@1/**),pk(@2/**)},sortedmulti_a(1,@3/**,@4/**)}").unwrap();
        let TapTree::Branch(left, right) = &tree else {
            panic!("a branch: {tree:?}");
        };
        assert!(matches!(**left, TapTree::Branch(..)));
        let TapTree::Leaf(leaf) = &**right else {
            panic!("a leaf: {right:?}");
        };
        assert!(matches!(**leaf, TapLeaf::SortedMultiA { threshold: 1, .. }));
        let mut keys = Vec::new();
        tree.key_exprs(&mut keys);
        assert_eq!(
            keys.iter().map(|k| k.index).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn malformed_and_too_deep_trees_are_refused() {
        for bad in [
            "{pk(@1/**)}",
            "{pk(@1/**),}",
            "{pk(@1/**),pk(@2/**)",
            "pk(@1/**),pk(@2/**)",
        ] {
            assert_eq!(TapTree::parse(bad), Err(TemplateError::Invalid), "{bad}");
        }
        let mut deep = "pk(@1/**)".to_owned();
        for i in 2..=10 {
            deep = format!("{{{deep},pk(@{i}/**)}}");
        }
        assert_eq!(TapTree::parse(&deep), Err(TemplateError::Invalid));
    }
}
