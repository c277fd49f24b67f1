//! Geohash arithmetic for the geo commands (Redis's `geohash.c` and `geohash_helper.c`):
//! 52-bit interleaved scores, cell decoding, the nine cells that cover a search area, and
//! the haversine distance with Redis's earth radius. Every formula follows Redis's
//! operation order so results agree to the last bit (replies print 17 digits).

/// Longitude bounds.
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Latitude bounds (EPSG:900913: the poles cannot be encoded).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per coordinate in a stored score (26 * 2 = 52, a double's mantissa).
pub const STEP_MAX: u8 = 26;

/// Redis's `EARTH_RADIUS_IN_METERS` (quadratic mean radius of WGS-84).
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
/// `M_PI / 180.0`, multiplied rather than `to_radians()` so rounding matches C.
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A geohash of `step` bits per coordinate; `step == 0` marks an excluded cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    const ZERO: HashBits = HashBits { bits: 0, step: 0 };

    /// Redis's `HASHISZERO`.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash shifted to 52 bits (`geohashAlign52Bits`).
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }

    /// The scores `[min, max)` of every point inside this cell (`scoresOfGeoHashBox`).
    pub fn score_range(self) -> (u64, u64) {
        let next = HashBits { bits: self.bits.wrapping_add(1), step: self.step };
        (self.align52(), next.align52())
    }
}

/// A coordinate interval.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    min: f64,
    max: f64,
}

const LONG_RANGE: Range = Range { min: LONG_MIN, max: LONG_MAX };
const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// The area a hash covers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Area {
    lon: Range,
    lat: Range,
}

/// Spreads the bits of `x` over the even positions and those of `y` over the odd ones.
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave64`]: even bits in the low half, odd bits in the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squash(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// `geohashEncode`: `None` outside the ranges or for a bad step.
fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step == 0 || step > 32 || !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(HashBits { bits: interleave64(lat_offset as u32, lon_offset as u32), step })
}

/// `geohashDecode`.
fn decode(lon_r: Range, lat_r: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let scale = (1u64 << hash.step) as f64;
    let ilat = sep as u32;
    let ilon = (sep >> 32) as u32;
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    Some(Area {
        lat: Range { min: lat_r.min + (f64::from(ilat) / scale) * lat_scale, max: lat_r.min + (f64::from(ilat.wrapping_add(1)) / scale) * lat_scale },
        lon: Range { min: lon_r.min + (f64::from(ilon) / scale) * lon_scale, max: lon_r.min + (f64::from(ilon.wrapping_add(1)) / scale) * lon_scale },
    })
}

/// The centre of a cell, clamped to the valid ranges (`geohashDecodeAreaToLongLat`).
fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)d` as x86-64 compilers emit it, so arbitrary zset scores decode as in
/// Redis (negative values wrap, out-of-range ones give the "indefinite" integer).
fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() {
        return 1 << 63;
    }
    if d < TWO63 {
        (d as i64) as u64
    } else {
        let r = d - TWO63;
        let t = if r < TWO63 { r as i64 as u64 } else { 1 << 63 };
        t ^ (1 << 63)
    }
}

/// The 52-bit score of a position, or `None` outside the valid ranges.
pub fn encode_score(lon: f64, lat: f64) -> Option<u64> {
    encode(LONG_RANGE, LAT_RANGE, lon, lat, STEP_MAX).map(HashBits::align52)
}

/// The (longitude, latitude) a sorted-set score stands for (`decodeGeohash`).
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = HashBits { bits: c_double_to_u64(score), step: STEP_MAX };
    decode(LONG_RANGE, LAT_RANGE, hash).map(|a| area_center(&a))
}

/// The standard 11-character geohash of a score (GEOHASH): the position re-encoded with
/// latitude range ±90, the last character always '0' as Redis prints it.
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score)?;
    let hash = encode(Range { min: -180.0, max: 180.0 }, Range { min: -90.0, max: 90.0 }, lon, lat, 26).unwrap_or(HashBits { bits: 0, step: 26 });
    let mut out = [0u8; 11];
    for (i, c) in out.iter_mut().enumerate() {
        let idx = if i == 10 { 0 } else { (hash.bits >> (52 - (i + 1) * 5)) & 0x1f };
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

fn move_x(h: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(h.step) * 2;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    h.bits = x | y;
}

fn move_y(h: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = h.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(h.step) * 2;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> shift;
    h.bits = x | y;
}

/// The cell moved by (dx, dy) cells, wrapping around as Redis's bit arithmetic does.
fn moved(h: HashBits, dx: i8, dy: i8) -> HashBits {
    let mut n = h;
    move_x(&mut n, dx);
    move_y(&mut n, dy);
    n
}

/// Distance along a meridian (Redis's `geohashGetLatDistance`).
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Great-circle distance in meters (Redis's `geohashGetDistance`, haversine).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The area a search covers, in the units the request used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// BYRADIUS / GEORADIUS.
    Radius(f64),
    /// BYBOX width height.
    Box { width: f64, height: f64 },
}

/// A search: its centre, its extent and the unit's size in meters (Redis's `GeoShape`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub kind: ShapeKind,
    /// Meters per unit.
    pub conversion: f64,
}

impl Shape {
    /// `(min_lon, min_lat, max_lon, max_lat)` of the search area (`geohashBoundingBox`).
    fn bounding_box(&self) -> (f64, f64, f64, f64) {
        let (height, width) = match self.kind {
            ShapeKind::Radius(r) => (self.conversion * r, self.conversion * r),
            ShapeKind::Box { width, height } => (self.conversion * (height / 2.0), self.conversion * (width / 2.0)),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.lat + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.lat - lat_delta).cos());
        let delta = if self.lat < 0.0 { long_delta_bottom } else { long_delta_top };
        (self.lon - delta, self.lat - lat_delta, self.lon + delta, self.lat + lat_delta)
    }

    /// The nine cells to scan, in Redis's order: the centre, then north, south, east, west,
    /// north-east, north-west, south-east, south-west; excluded cells are zero
    /// (`geohashCalculateAreasByShapeWGS84`).
    pub fn search_cells(&self) -> [HashBits; 9] {
        let (min_lon, min_lat, max_lon, max_lat) = self.bounding_box();
        let radius_meters = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        } * self.conversion;
        let mut steps = estimate_steps(radius_meters, self.lat);
        let cells = |steps: u8| {
            let hash = encode(LONG_RANGE, LAT_RANGE, self.lon, self.lat, steps).unwrap_or(HashBits { bits: 0, step: steps });
            let n = [moved(hash, 0, 1), moved(hash, 0, -1), moved(hash, 1, 0), moved(hash, -1, 0), moved(hash, 1, 1), moved(hash, -1, 1), moved(hash, 1, -1), moved(hash, -1, -1)];
            (hash, n)
        };
        let (mut hash, mut n) = cells(steps);
        let dec = |h| decode(LONG_RANGE, LAT_RANGE, h);
        // Near a cell edge the estimated step may leave part of the area uncovered.
        let short = dec(n[0]).is_some_and(|a| a.lat.max < max_lat)
            || dec(n[1]).is_some_and(|a| a.lat.min > min_lat)
            || dec(n[2]).is_some_and(|a| a.lon.max < max_lon)
            || dec(n[3]).is_some_and(|a| a.lon.min > min_lon);
        if steps > 1 && short {
            steps -= 1;
            (hash, n) = cells(steps);
        }
        if steps >= 2 {
            if let Some(area) = dec(hash) {
                let [north, south, east, west, ne, nw, se, sw] = &mut n;
                if area.lat.min < min_lat {
                    for c in [&mut *south, &mut *sw, &mut *se] {
                        *c = HashBits::ZERO;
                    }
                }
                if area.lat.max > max_lat {
                    for c in [&mut *north, &mut *ne, &mut *nw] {
                        *c = HashBits::ZERO;
                    }
                }
                if area.lon.min < min_lon {
                    for c in [&mut *west, &mut *sw, &mut *nw] {
                        *c = HashBits::ZERO;
                    }
                }
                if area.lon.max > max_lon {
                    for c in [east, se, ne] {
                        *c = HashBits::ZERO;
                    }
                }
            }
        }
        [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
    }

    /// Where a score's point lies relative to the search: `Some((lon, lat, meters))` when
    /// inside (`geoWithinShape`).
    pub fn contains(&self, score: f64) -> Option<(f64, f64, f64)> {
        let (lon, lat) = decode_score(score)?;
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some((lon, lat, d))
            }
            ShapeKind::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                if lat_distance(lat, self.lat) > h / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > w / 2.0 {
                    return None;
                }
                Some((lon, lat, distance(self.lon, self.lat, lon, lat)))
            }
        }
    }
}

/// Bits per coordinate of the cells that cover a search of `range_meters` at latitude
/// `lat` (`geohashEstimateStepsByRadius`).
fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [(0u32, 0u32), (1, 0), (0, 1), (0x03ff_ffff, 0x0123_4567), (u32::MAX, 7)] {
            let v = deinterleave64(interleave64(x, y));
            assert_eq!((v as u32, (v >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn palermo_encodes_as_redis() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores this score in Redis.
        assert_eq!(encode_score(13.361389, 38.115556), Some(3479099956230698));
        let (lon, lat) = decode_score(3479099956230698.0).unwrap();
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
        assert_eq!(&geohash_string(3479099956230698.0).unwrap(), b"sqc8b49rny0");
        assert_eq!(encode_score(181.0, 0.0), None);
        assert_eq!(encode_score(0.0, 86.0), None);
    }

    #[test]
    fn c_cast_wraps_like_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1e19), 10_000_000_000_000_000_000);
    }
}
