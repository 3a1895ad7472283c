//! Headshot days: many people photographed in a row, each announced by a shoot card.
//!
//! - [`roster`]: who is to be photographed (HR's CSV), checked line by line.
//! - [`cards`]: their printable shoot cards, six to a page, each with a QR code of the person's
//!   roster id.
//! - [`qr`]: the shoot cards found in a photo (tilted, small or partly shadowed).
//! - [`shoot`]: a shoot's frames in capture order, each looked at once at reduced size.
//! - [`assign`]: whose frame each is (cards, and faces always).
//! - [`rank`]: which of a person's frames makes the best headshot; bursts.
//! - [`day`]: the whole session, the picks' headshots and `session.json`; [`sheet`]: its CSV and
//!   contact sheet.

pub mod assign;
pub mod cards;
pub mod day;
pub mod qr;
pub mod rank;
pub mod roster;
pub mod sheet;
pub mod shoot;

pub use cards::{cards_pdf, Paper, CARD_PREFIX};
pub use day::{run, Options, PersonStatus, SessionReport, Shoot, Stage};
pub use qr::{find_cards, find_cards_with, FoundCard};
pub use roster::{Person, Roster, RosterError};
pub use shoot::{capture_time_of, Frame};
