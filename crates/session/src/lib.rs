//! Headshot days: many people photographed in a row, each announced by a shoot card.
//!
//! - [`roster`]: who is to be photographed (HR's CSV), checked line by line.
//! - [`cards`]: their printable shoot cards, six to a page, each with a QR code of the person's
//!   roster id.
//! - [`qr`]: the shoot cards found in a photo (tilted, small or partly shadowed).

pub mod cards;
pub mod qr;
pub mod roster;

pub use cards::{cards_pdf, Paper, CARD_PREFIX};
pub use qr::{find_cards, FoundCard};
pub use roster::{Person, Roster, RosterError};
