//! `use_chat`: the [`ChatContext`] every widget component reads.

use crate::context::ChatContext;
use yew::prelude::*;

/// The context; widget components are only ever rendered under its provider.
#[hook]
pub fn use_chat() -> ChatContext {
    use_context::<ChatContext>().expect("widget components render inside a ChatContext provider")
}
