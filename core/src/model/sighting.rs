//! The surveillance and counter-surveillance log: sightings of subjects and vehicles,
//! written on the phone (offline), matched at once against the office's BOLO list ("be
//! on the lookout": registrations and descriptions, with a reason and a priority).
//!
//! A registration is compared in one form only, [`normalise_registration`] (upper case,
//! no spaces, hyphens or dots), which the device and the office both call, so `AB12 CDE`,
//! `ab12cde` and `AB-12-CDE` are the same car everywhere. A sighting whose registration
//! matches a BOLO entry the device holds carries [`BoloMatch`], set by the store inside
//! the sighting's own transaction (never by the caller), and travels in the urgent lane.
//! The office recomputes the match against its own list and keeps both.
//!
//! Links name earlier sightings (the same car again, the same person at another site). On
//! the device a link must name a sighting the device holds (sightings are not pulled, so
//! one of its own); the office keeps links as sent, since an urgent sighting may arrive
//! before the earlier one it links to.

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use super::Location;
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_time_zone, validate_timestamp, Timestamp};

/// How many earlier sightings one sighting may link to, and how many photos it may carry.
pub const MAX_SIGHTING_LINKS: usize = 20;
pub const MAX_SIGHTING_PHOTOS: usize = 20;

/// How far ahead of the device clock a sighting's time may be (as for check-ins).
const MAX_FUTURE_SKEW_MS: i64 = 60_000;

/// The one comparison form of a vehicle registration: upper case, without spaces,
/// hyphens or dots (`ab12 cde`, `AB-12-CDE` → `AB12CDE`). A registration that normalises
/// to nothing (`" - . "`) is refused, naming `field`.
pub fn normalise_registration(field: &str, registration: &str) -> Result<String> {
    required_text(field, registration, MAX_SHORT_TEXT)?;
    let normalised: String = registration
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.'))
        .flat_map(char::to_uppercase)
        .collect();
    if normalised.is_empty() {
        return Err(CordonError::invalid(
            field,
            InputRule::Blank,
            format!("{registration:?} has no letters or digits"),
        ));
    }
    Ok(normalised)
}

/// A registration that must already be in its one form (what travels between the ends).
fn require_normalised(field: &str, registration: &str) -> Result<()> {
    if normalise_registration(field, registration)? != registration {
        return Err(CordonError::invalid(
            field,
            InputRule::BadFormat,
            format!("{registration:?} is not normalised"),
        ));
    }
    Ok(())
}

fn validate_photo_count(n: usize) -> Result<()> {
    if n > MAX_SIGHTING_PHOTOS {
        return Err(CordonError::invalid(
            "photos",
            InputRule::TooLong,
            format!("at most {MAX_SIGHTING_PHOTOS} photos per sighting"),
        ));
    }
    Ok(())
}

/// A vehicle as seen. `registration` is kept normalised in a [`Sighting`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Vehicle {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub make: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub model: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub colour: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub registration: Option<String>,
}

impl Vehicle {
    fn validate(&self) -> Result<()> {
        optional_text("vehicle.make", self.make.as_deref(), MAX_SHORT_TEXT)?;
        optional_text("vehicle.model", self.model.as_deref(), MAX_SHORT_TEXT)?;
        optional_text("vehicle.colour", self.colour.as_deref(), MAX_SHORT_TEXT)?;
        if let Some(r) = &self.registration {
            normalise_registration("vehicle.registration", r)?;
        }
        if self.make.is_none()
            && self.model.is_none()
            && self.colour.is_none()
            && self.registration.is_none()
        {
            return Err(CordonError::invalid(
                "vehicle",
                InputRule::Required,
                "a vehicle needs at least a make, model, colour or registration",
            ));
        }
        Ok(())
    }
}

/// A photo to attach to a new sighting: a file the app wrote (the core copies and hashes
/// it) and its MIME type (an image: `image/jpeg`, `image/heic`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewSightingPhoto {
    pub path: String,
    pub mime_type: String,
}

/// A sighting's photo as the core holds it: its bytes travel as an attachment
/// (`attachment.upload`, chunked, resumable, verified by SHA-256 at the office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SightingPhoto {
    pub id: String,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, taken while copying them in.
    pub sha256: String,
    pub captured_at: Timestamp,
}

/// What the officer saw, as the app gives it to [`Store::record_sighting`](crate::Store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewSighting {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub assignment_id: Option<String>,
    /// When it was seen; `None` means now, by the store's clock.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
    #[cfg_attr(feature = "uniffi", uniffi(default = "Etc/UTC"))]
    pub time_zone: String,
    /// Where, in words (`Outside the east gate`).
    pub place: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub location: Option<Location>,
    /// Which way the subject went (`northbound on Park Lane`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub direction: Option<String>,
    /// The subject: a person's description, or what the vehicle's occupants looked like.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub subject: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub vehicle: Option<Vehicle>,
    /// Ids of earlier sightings this one links to.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub links: Vec<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub photos: Vec<NewSightingPhoto>,
}

impl NewSighting {
    /// Checks every field, `now` being the device's clock. Links and photos are checked
    /// for shape here; that links name known sightings is the store's check.
    pub fn validate(&self, now: Timestamp) -> Result<()> {
        optional_text(
            "assignment_id",
            self.assignment_id.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        if let Some(at) = self.occurred_at {
            validate_occurred_at(at, now)?;
        }
        validate_time_zone("time_zone", &self.time_zone)?;
        validate_seen(
            &self.place,
            self.location.as_ref(),
            self.direction.as_deref(),
            self.subject.as_deref(),
            self.vehicle.as_ref(),
            &self.links,
        )?;
        validate_photo_count(self.photos.len())?;
        for p in &self.photos {
            required_text("photos.path", &p.path, 4096)?;
            super::validate_mime(super::AttachmentKind::Photo, &p.mime_type)
                .map_err(|e| rename_field(e, "photos.mime_type"))?;
        }
        Ok(())
    }
}

fn rename_field(e: CordonError, field: &str) -> CordonError {
    match e {
        CordonError::InvalidInput { rule, reason, .. } => CordonError::invalid(field, rule, reason),
        other => other,
    }
}

fn validate_occurred_at(at: Timestamp, now: Timestamp) -> Result<()> {
    validate_timestamp("occurred_at", at)?;
    if at.as_millis() > now.as_millis().saturating_add(MAX_FUTURE_SKEW_MS) {
        return Err(CordonError::invalid(
            "occurred_at",
            InputRule::InTheFuture,
            format!("{at} is in the future (device clock {now})"),
        ));
    }
    Ok(())
}

/// The rules a sighting's description meets at both ends.
fn validate_seen(
    place: &str,
    location: Option<&Location>,
    direction: Option<&str>,
    subject: Option<&str>,
    vehicle: Option<&Vehicle>,
    links: &[String],
) -> Result<()> {
    required_text("place", place, MAX_SHORT_TEXT)?;
    if let Some(l) = location {
        l.validate("location")?;
    }
    optional_text("direction", direction, MAX_SHORT_TEXT)?;
    optional_text("subject", subject, MAX_NOTE_TEXT)?;
    if let Some(v) = vehicle {
        v.validate()?;
    }
    if subject.is_none() && vehicle.is_none() {
        return Err(CordonError::invalid(
            "subject",
            InputRule::Required,
            "a sighting describes a subject, a vehicle, or both",
        ));
    }
    if links.len() > MAX_SIGHTING_LINKS {
        return Err(CordonError::invalid(
            "links",
            InputRule::TooLong,
            format!("at most {MAX_SIGHTING_LINKS} links per sighting"),
        ));
    }
    for l in links {
        required_text("links", l, MAX_SHORT_TEXT)?;
    }
    Ok(())
}

/// How urgent a BOLO entry is, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum BoloPriority {
    /// Known hostile: tell the control room and the team at once.
    High,
    Medium,
    Low,
}

impl BoloPriority {
    pub fn as_str(self) -> &'static str {
        match self {
            BoloPriority::High => "high",
            BoloPriority::Medium => "medium",
            BoloPriority::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BoloPriority::High, BoloPriority::Medium, BoloPriority::Low]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One entry of the office's BOLO list, as sent down the feed to every officer of the
/// organisation. A newer `version` of the same `id` supersedes the older; a withdrawn
/// entry stays known but matches nothing. Only a registration matches automatically; a
/// description is for the officer to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BoloEntry {
    pub id: String,
    pub version: i32,
    /// Normalised ([`normalise_registration`]).
    #[serde(default)]
    pub registration: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub reason: String,
    pub priority: BoloPriority,
    pub issued_at: Timestamp,
    #[serde(default)]
    pub withdrawn: bool,
}

impl BoloEntry {
    /// The rules both ends hold an entry to: an id, a version of 1 or more, a
    /// registration (already normalised) or a description or both, a reason.
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        if self.version < 1 {
            return Err(CordonError::invalid(
                "version",
                InputRule::OutOfRange,
                format!("BOLO version {} is not 1 or more", self.version),
            ));
        }
        if let Some(r) = &self.registration {
            require_normalised("registration", r)?;
        }
        optional_text("description", self.description.as_deref(), MAX_NOTE_TEXT)?;
        if self.registration.is_none() && self.description.is_none() {
            return Err(CordonError::invalid(
                "registration",
                InputRule::Required,
                "a BOLO entry names a registration, a description, or both",
            ));
        }
        required_text("reason", &self.reason, MAX_NOTE_TEXT)?;
        validate_timestamp("issued_at", self.issued_at)
    }
}

impl BoloEntry {
    /// What a sighting of `registration` (normalised) that matched this entry records.
    pub fn match_for(&self, registration: &str) -> BoloMatch {
        BoloMatch {
            bolo_id: self.id.clone(),
            version: self.version,
            registration: registration.to_owned(),
            reason: self.reason.clone(),
            priority: self.priority,
        }
    }
}

/// The BOLO entry a sighting's registration matched, as it stood when the sighting was
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BoloMatch {
    pub bolo_id: String,
    pub version: i32,
    pub registration: String,
    pub reason: String,
    pub priority: BoloPriority,
}

/// A sighting as recorded: the payload of `sighting.record`. `bolo_match` is set by the
/// store (device) from its BOLO list in the write's transaction; a sighting with a match
/// travels in the urgent lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Sighting {
    pub id: String,
    #[serde(default)]
    pub assignment_id: Option<String>,
    pub occurred_at: Timestamp,
    pub time_zone: String,
    pub place: String,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// With its registration normalised.
    #[serde(default)]
    pub vehicle: Option<Vehicle>,
    #[serde(default)]
    pub links: Vec<String>,
    #[serde(default)]
    pub photos: Vec<SightingPhoto>,
    pub recorded_at: Timestamp,
    #[serde(default)]
    pub bolo_match: Option<BoloMatch>,
}

impl Sighting {
    /// The rules the office holds a pushed sighting to (the device's, minus what only the
    /// device can check: that links and photos name what it holds, and the time against
    /// its clock).
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        optional_text(
            "assignment_id",
            self.assignment_id.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        validate_timestamp("occurred_at", self.occurred_at)?;
        validate_timestamp("recorded_at", self.recorded_at)?;
        validate_time_zone("time_zone", &self.time_zone)?;
        validate_seen(
            &self.place,
            self.location.as_ref(),
            self.direction.as_deref(),
            self.subject.as_deref(),
            self.vehicle.as_ref(),
            &self.links,
        )?;
        if let Some(r) = self.registration() {
            require_normalised("vehicle.registration", r)?;
        }
        validate_photo_count(self.photos.len())?;
        for p in &self.photos {
            required_text("photos.id", &p.id, MAX_SHORT_TEXT)?;
            required_text("photos.file_name", &p.file_name, MAX_SHORT_TEXT)?;
            super::validate_mime(super::AttachmentKind::Photo, &p.mime_type)
                .map_err(|e| rename_field(e, "photos.mime_type"))?;
            if p.size_bytes < 0 {
                return Err(CordonError::invalid(
                    "photos.size_bytes",
                    InputRule::OutOfRange,
                    "is negative",
                ));
            }
        }
        Ok(())
    }

    /// The vehicle's registration (normalised), if one was seen.
    pub fn registration(&self) -> Option<&str> {
        self.vehicle.as_ref()?.registration.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of<T: std::fmt::Debug>(r: Result<T>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_790_000_000_000)
    }

    fn sample() -> NewSighting {
        serde_json::from_str(include_str!("../../../fixtures/sighting.json")).unwrap()
    }

    #[test]
    fn the_sample_sighting_is_valid() {
        assert_eq!(sample().validate(now()), Ok(()));
    }

    #[test]
    fn registrations_typed_differently_normalise_to_one_form() {
        let forms = ["AB12 CDE", "ab12cde", "AB-12-CDE", " ab.12 cde "];
        for f in forms {
            assert_eq!(normalise_registration("r", f).unwrap(), "AB12CDE", "{f:?}");
        }
    }

    #[test]
    fn a_registration_that_normalises_to_nothing_is_refused_naming_the_field() {
        assert_eq!(
            rule_of(normalise_registration("vehicle.registration", " - . ")),
            ("vehicle.registration".into(), InputRule::Blank)
        );
        let mut s = sample();
        s.vehicle.as_mut().unwrap().registration = Some("--".into());
        assert_eq!(
            rule_of(s.validate(now())),
            ("vehicle.registration".into(), InputRule::Blank)
        );
    }

    #[test]
    fn a_sighting_of_nothing_is_refused_naming_the_subject() {
        let s = NewSighting {
            subject: None,
            vehicle: None,
            ..sample()
        };
        assert_eq!(
            rule_of(s.validate(now())),
            ("subject".into(), InputRule::Required)
        );
    }

    #[test]
    fn an_empty_vehicle_is_refused_naming_the_vehicle() {
        let s = NewSighting {
            vehicle: Some(Vehicle::default()),
            ..sample()
        };
        assert_eq!(
            rule_of(s.validate(now())),
            ("vehicle".into(), InputRule::Required)
        );
    }

    #[test]
    fn a_blank_place_a_future_time_and_a_bad_photo_type_are_refused_by_field() {
        let blank = NewSighting {
            place: " ".into(),
            ..sample()
        };
        assert_eq!(
            rule_of(blank.validate(now())),
            ("place".into(), InputRule::Blank)
        );
        let future = NewSighting {
            occurred_at: Some(Timestamp::from_millis(now().as_millis() + 3_600_000)),
            ..sample()
        };
        assert_eq!(
            rule_of(future.validate(now())),
            ("occurredAt".into(), InputRule::InTheFuture)
        );
        let pdf = NewSighting {
            photos: vec![NewSightingPhoto {
                path: "/tmp/x.pdf".into(),
                mime_type: "application/pdf".into(),
            }],
            ..sample()
        };
        assert_eq!(
            rule_of(pdf.validate(now())),
            ("photos.mimeType".into(), InputRule::NotAllowed)
        );
    }

    #[test]
    fn a_bolo_entry_needs_a_normalised_registration_or_a_description() {
        let entry = BoloEntry {
            id: "B-1".into(),
            version: 1,
            registration: Some("AB12CDE".into()),
            description: None,
            reason: "Seen twice near the residence".into(),
            priority: BoloPriority::High,
            issued_at: now(),
            withdrawn: false,
        };
        assert_eq!(entry.validate(), Ok(()));
        let raw = BoloEntry {
            registration: Some("ab12 cde".into()),
            ..entry.clone()
        };
        assert_eq!(
            rule_of(raw.validate()),
            ("registration".into(), InputRule::BadFormat)
        );
        let nothing = BoloEntry {
            registration: None,
            ..entry
        };
        assert_eq!(
            rule_of(nothing.validate()),
            ("registration".into(), InputRule::Required)
        );
    }
}
