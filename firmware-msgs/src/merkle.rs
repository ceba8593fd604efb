//! The Bitcoin app's Merkle trees (`doc/merkle.md`, an RFC 6962 variant).
//!
//! - leaf hash: `SHA256(0x00 ‖ data)`; node hash: `SHA256(0x01 ‖ left ‖ right)`;
//! - a tree of `n > 1` leaves splits at `k`, the largest power of two strictly below `n`;
//! - the empty tree's root is 32 zero bytes (this differs from RFC 6962, and is what the app
//!   expects for an empty message);
//! - a proof lists sibling hashes bottom-up: first the leaf's sibling, last the sibling of the
//!   root's child.
//!
//! The tree is built once, so every proof costs `O(log n)`: a long message has thousands of
//! leaves and the device asks for a proof of each.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

/// The root of the empty tree.
pub const EMPTY_ROOT: Hash = [0u8; 32];

/// `SHA256(data)`.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// The leaf hash of `data`: `SHA256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// An inner node's hash: `SHA256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly below `n`, for `n >= 2`.
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    let below = n - 1;
    // The highest set bit of n-1 is the largest power of two <= n-1, i.e. < n.
    1usize << (usize::BITS - 1 - below.leading_zeros())
}

/// One subtree in the arena: its hash and, for inner nodes, its children.
#[derive(Debug, Clone)]
struct Node {
    hash: Hash,
    children: Option<(usize, usize)>,
}

/// A Merkle tree over leaf hashes.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    leaves: Vec<Hash>,
    nodes: Vec<Node>,
    /// Arena index of the root; `None` for the empty tree.
    root: Option<usize>,
}

impl MerkleTree {
    /// Builds the tree over already-hashed leaves.
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Self {
        let mut nodes = Vec::with_capacity(leaves.len().saturating_mul(2));
        let root = if leaves.is_empty() {
            None
        } else {
            Some(build(&leaves, &mut nodes))
        };
        Self {
            leaves,
            nodes,
            root,
        }
    }

    /// Builds the tree of a list of elements; each leaf is `SHA256(0x00 ‖ element)`.
    pub fn from_elements<T: AsRef<[u8]>>(elements: &[T]) -> Self {
        Self::from_leaf_hashes(elements.iter().map(|e| leaf_hash(e.as_ref())).collect())
    }

    /// The root hash ([`EMPTY_ROOT`] for no leaves).
    pub fn root(&self) -> Hash {
        self.root
            .and_then(|i| self.nodes.get(i))
            .map_or(EMPTY_ROOT, |node| node.hash)
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        &self.leaves
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: usize) -> Option<&Hash> {
        self.leaves.get(index)
    }

    /// The index of the first leaf equal to `hash`.
    pub fn leaf_index(&self, hash: &Hash) -> Option<usize> {
        self.leaves.iter().position(|leaf| leaf == hash)
    }

    /// The proof of leaf `index`, bottom-up; `None` if out of range.
    pub fn proof(&self, index: usize) -> Option<Vec<Hash>> {
        if index >= self.leaves.len() {
            return None;
        }
        let mut top_down = Vec::new();
        let (mut node, mut size, mut offset) = (self.root?, self.leaves.len(), index);
        while size > 1 {
            let (left, right) = self.nodes.get(node)?.children?;
            let k = split_point(size);
            let (next, sibling) = if offset < k {
                size = k;
                (left, right)
            } else {
                offset -= k;
                size -= k;
                (right, left)
            };
            top_down.push(self.nodes.get(sibling)?.hash);
            node = next;
        }
        top_down.reverse();
        Some(top_down)
    }
}

/// Builds the subtree of `leaves` into `nodes`; returns its arena index.
fn build(leaves: &[Hash], nodes: &mut Vec<Node>) -> usize {
    let node = match leaves {
        [] | [_] => Node {
            hash: leaves.first().copied().unwrap_or(EMPTY_ROOT),
            children: None,
        },
        _ => {
            let (left_leaves, right_leaves) = leaves.split_at(split_point(leaves.len()));
            let left = build(left_leaves, nodes);
            let right = build(right_leaves, nodes);
            let hash = match (nodes.get(left), nodes.get(right)) {
                (Some(l), Some(r)) => node_hash(&l.hash, &r.hash),
                _ => EMPTY_ROOT,
            };
            Node {
                hash,
                children: Some((left, right)),
            }
        }
    };
    nodes.push(node);
    nodes.len() - 1
}

/// Checks that `proof` (bottom-up) proves `leaf` at `index` in a tree of `size` leaves with
/// root `root`. This is the device's check; the host's proofs must pass it.
pub fn verify_proof(root: &Hash, size: u64, index: u64, leaf: &Hash, proof: &[Hash]) -> bool {
    if index >= size {
        return false;
    }
    // Walk down from the root to record, per level, whether the leaf is in the right subtree.
    let mut went_right = Vec::new();
    let (mut size, mut offset) = (size, index);
    while size > 1 {
        // `split_point` on u64: largest power of two strictly below `size`.
        let k = 1u64 << (u64::BITS - 1 - (size - 1).leading_zeros());
        if offset < k {
            size = k;
            went_right.push(false);
        } else {
            offset -= k;
            size -= k;
            went_right.push(true);
        }
    }
    if went_right.len() != proof.len() {
        return false;
    }
    let mut hash = *leaf;
    for (sibling, right) in proof.iter().zip(went_right.iter().rev()) {
        hash = if *right {
            node_hash(sibling, &hash)
        } else {
            node_hash(&hash, sibling)
        };
    }
    hash == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_points() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
    }

    #[test]
    fn known_roots() {
        // One 11-byte chunk: the root is its leaf hash (SIGN_MESSAGE "Hello World" vector).
        assert_eq!(
            hex::encode(MerkleTree::from_elements(&[b"Hello World"]).root()),
            "c22c4ddbc77672159cca89fb6f14ee88728cb52781b10cf476311cb6b0b70df9"
        );
        assert_eq!(MerkleTree::from_elements::<&[u8]>(&[]).root(), EMPTY_ROOT);
        let three = MerkleTree::from_elements(&[b"a", b"b", b"c"]);
        let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
        assert_eq!(three.root(), node_hash(&node_hash(&a, &b), &c));
        assert_eq!(three.proof(0), Some(vec![b, c]));
        assert_eq!(three.proof(2), Some(vec![node_hash(&a, &b)]));
        assert_eq!(three.proof(3), None);
    }

    /// A straightforward recursive root, to cross-check the arena.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves {
            [] => EMPTY_ROOT,
            [one] => *one,
            _ => {
                let (l, r) = leaves.split_at(split_point(leaves.len()));
                node_hash(&naive_root(l), &naive_root(r))
            }
        }
    }

    proptest! {
        #[test]
        fn proofs_verify(n in 1usize..80, seed: u8) {
            let elements: Vec<Vec<u8>> = (0..n).map(|i| vec![seed, i as u8]).collect();
            let tree = MerkleTree::from_elements(&elements);
            prop_assert_eq!(tree.root(), naive_root(tree.leaves()));
            for (i, leaf) in tree.leaves().iter().enumerate() {
                let proof = tree.proof(i).expect("in range");
                prop_assert!(verify_proof(&tree.root(), n as u64, i as u64, leaf, &proof));
                prop_assert!(!verify_proof(&tree.root(), n as u64, i as u64, &[seed; 32], &proof));
                if let Some((first, rest)) = proof.split_first() {
                    let mut bad = vec![node_hash(first, first)];
                    bad.extend_from_slice(rest);
                    prop_assert!(!verify_proof(&tree.root(), n as u64, i as u64, leaf, &bad));
                }
                prop_assert_eq!(tree.leaf_index(leaf), Some(i));
            }
        }
    }
}
