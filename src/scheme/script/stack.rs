//! The main stack: elements addressed from the top (`top(1)` is the top element), every
//! out-of-range access an [`ScriptError::InvalidStackOperation`] rather than a panic.

use super::ScriptError;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Stack(Vec<Vec<u8>>);

impl Stack {
    pub fn from_items(items: Vec<Vec<u8>>) -> Self {
        Stack(items)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Index from the bottom of the element `depth` from the top (1 = top).
    fn index(&self, depth: usize) -> Result<usize, ScriptError> {
        self.0
            .len()
            .checked_sub(depth)
            .filter(|_| depth > 0)
            .ok_or(ScriptError::InvalidStackOperation)
    }

    /// Fails unless the stack has at least `n` elements.
    pub fn need(&self, n: usize) -> Result<(), ScriptError> {
        if self.0.len() < n {
            return Err(ScriptError::InvalidStackOperation);
        }
        Ok(())
    }

    pub fn top(&self, depth: usize) -> Result<&[u8], ScriptError> {
        let i = self.index(depth)?;
        self.0
            .get(i)
            .map(Vec::as_slice)
            .ok_or(ScriptError::InvalidStackOperation)
    }

    pub fn push(&mut self, item: Vec<u8>) {
        self.0.push(item);
    }

    pub fn push_bool(&mut self, value: bool) {
        self.0.push(if value { vec![1] } else { Vec::new() });
    }

    pub fn pop(&mut self) -> Result<Vec<u8>, ScriptError> {
        self.0.pop().ok_or(ScriptError::InvalidStackOperation)
    }

    /// Removes and returns the element `depth` from the top.
    pub fn remove(&mut self, depth: usize) -> Result<Vec<u8>, ScriptError> {
        let i = self.index(depth)?;
        Ok(self.0.remove(i))
    }

    /// Inserts `item` so that it ends up `depth` from the top.
    pub fn insert(&mut self, depth: usize, item: Vec<u8>) -> Result<(), ScriptError> {
        let i = self
            .0
            .len()
            .checked_sub(depth.saturating_sub(1))
            .ok_or(ScriptError::InvalidStackOperation)?;
        self.0.insert(i, item);
        Ok(())
    }

    /// Swaps the elements `a` and `b` from the top.
    pub fn swap(&mut self, a: usize, b: usize) -> Result<(), ScriptError> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        self.0.swap(i, j);
        Ok(())
    }

    /// Keeps only the bottom element(s) up to `len` (used to bypass the final stack check of
    /// witness spends, as Core does).
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}
