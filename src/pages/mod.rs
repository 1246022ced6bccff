//! The two screens: signing in, and the building.

pub(crate) mod building;
pub(crate) mod login;
