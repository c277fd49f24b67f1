//! Geo commands, differential against redis-server: replies byte for byte, stored results
//! compared with ZRANGE WITHSCORES, and DEBUG DIGEST at the end.

use rhodium_it::diff;

/// A small deterministic generator so the scripts are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

#[test]
fn geoadd_geopos_geodist_geohash() {
    diff::check(
        r#"
        GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
        GEOADD Sicily 13.361389 38.115556 "Palermo"
        GEOADD Sicily CH 13.361389 38.115556 "Palermo" 15 37 "Catania"
        GEOADD Sicily NX 1 1 "Palermo" 2 2 new1
        GEOADD Sicily XX CH 13.361389 38.115556 "Palermo" 3 3 new2
        GEOADD Sicily NX XX 1 1 a
        GEOADD Sicily XX NX 1 1 a
        GEOADD Sicily CH NX CH 1 1 a
        GEOADD Sicily 1 2
        GEOADD Sicily 1 2 a 3
        GEOADD Sicily 200 10 a
        GEOADD Sicily 10 86 a
        GEOADD Sicily -180 -85.05112878 edge1 180 85.05112878 edge2
        GEOADD Sicily x 1 a
        GEOADD Sicily 1 nan a
        GEOADD Sicily GT 1 1 a
        GEOADD Sicily ch ch ch
        ZRANGE Sicily 0 -1 WITHSCORES
        GEOPOS Sicily Palermo Catania nonexisting new1 edge1 edge2
        GEOPOS Sicily
        GEOPOS nokey a b
        GEOHASH Sicily Palermo Catania nonexisting edge1 edge2
        GEOHASH nokey a
        GEOHASH Sicily
        GEODIST Sicily Palermo Catania
        GEODIST Sicily Palermo Catania km
        GEODIST Sicily Palermo Catania KM
        GEODIST Sicily Palermo Catania mi
        GEODIST Sicily Palermo Catania ft
        GEODIST Sicily Palermo Catania M
        GEODIST Sicily Palermo Catania furlongs
        GEODIST Sicily Palermo Catania km extra
        GEODIST Sicily Palermo nonexisting
        GEODIST nokey a b
        GEODIST nokey a b parsec
        GEODIST Sicily Palermo Palermo
        GEODIST Sicily edge1 edge2 km
        SET str x
        GEOADD str 1 1 a
        GEOPOS str a
        GEOHASH str a
        GEODIST str a b
        GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
        GEORADIUS str 1 1 1 km
        ZADD weird -1 neg 1e20 huge inf pinf -inf ninf 4503599627370496 top
        GEOPOS weird neg huge pinf ninf top
        GEOHASH weird neg huge pinf ninf top
        GEODIST weird neg top
        HELLO 3
        GEOPOS Sicily Palermo nonexisting
        GEODIST Sicily Palermo Catania
        GEODIST Sicily Palermo x
        GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC
        "#,
    );
}

#[test]
fn search_options_and_errors() {
    diff::check(
        r#"
        GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania" 12.758489 38.788135 "edge1" 17.241510 38.788135 "edge2"
        GEORADIUS Sicily 15 37 200 km
        GEORADIUS Sicily 15 37 200 km WITHDIST
        GEORADIUS Sicily 15 37 200 km WITHCOORD
        GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
        GEORADIUS Sicily 15 37 200 km ASC
        GEORADIUS Sicily 15 37 200 km DESC
        GEORADIUS Sicily 15 37 200 km COUNT 1
        GEORADIUS Sicily 15 37 200 km COUNT 1 DESC
        GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
        GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC
        GEORADIUS Sicily 15 37 200 km ANY
        GEORADIUS Sicily 15 37 200 km COUNT 0
        GEORADIUS Sicily 15 37 200 km COUNT -1
        GEORADIUS Sicily 15 37 200 km COUNT x
        GEORADIUS Sicily 15 37 200 km COUNT
        GEORADIUS Sicily 15 37 -1 km
        GEORADIUS Sicily 15 37 x km
        GEORADIUS Sicily 15 37 200 parsec
        GEORADIUS Sicily 15 37 200 km bogus
        GEORADIUS Sicily 200 37 200 km
        GEORADIUS Sicily 15 37 400 km WITHDIST ASC
        GEORADIUS Sicily 15 37 1000 mi WITHDIST DESC
        GEORADIUS Sicily 15 37 0 km
        GEORADIUS Sicily 15.087269 37.502669 0 km
        GEORADIUS nokey 15 37 200 km
        GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
        GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1
        GEORADIUS_RO Sicily 15 37 200 km WITHDIST
        GEORADIUS_RO Sicily 15 37 200 km STORE x
        GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
        GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST COUNT 1
        GEORADIUSBYMEMBER Sicily nonexisting 200 km
        GEORADIUSBYMEMBER Sicily nonexisting -200 km
        GEORADIUSBYMEMBER Sicily Palermo -200 km
        GEORADIUSBYMEMBER nokey Palermo -200 km
        GEORADIUSBYMEMBER nokey Palermo 200 km bogus
        GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHCOORD
        GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STOREDIST x
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 2
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 300 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 300 300 km WITHDIST
        GEOSEARCH Sicily FROMMEMBER nonexisting BYBOX 300 300 km
        GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYBOX 300 300 km
        GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYBOX 300 300 km
        GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 10 km BYBOX 1 1 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 km BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 10 km BYRADIUS 300 km
        GEOSEARCH Sicily BYRADIUS 10 km
        GEOSEARCH Sicily FROMMEMBER Palermo WITHDIST
        geosearch Sicily FROMMEMBER Palermo WITHDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 y km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yards
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
        GEOSEARCH Sicily FROMLONLAT 15 BYBOX 1 1 km
        GEOSEARCH Sicily FROMLONLAT 15 99 BYBOX 1 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
        GEOSEARCH nokey FROMMEMBER x BYRADIUS 200 km
        GEOSEARCH nokey FROMMEMBER x BYRADIUS -200 km
        GEOSEARCH nokey FROMMEMBER x
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 1 DESC
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        GEOSEARCHSTORE dst Sicily FROMLONLAT 100 37 BYBOX 4 4 km
        EXISTS dst
        GEOSEARCHSTORE dst nokey FROMLONLAT 100 37 BYBOX 4 4 km
        SET dst x
        GEOSEARCHSTORE dst nokey FROMLONLAT 100 37 BYBOX 4 4 km
        EXISTS dst
        GEORADIUS Sicily 15 37 200 km STORE d1
        ZRANGE d1 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STOREDIST d2 COUNT 1
        ZRANGE d2 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STOREDIST d3 STORE d4
        ZRANGE d3 0 -1 WITHSCORES
        ZRANGE d4 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STORE d4 STOREDIST d3 mi
        ZRANGE d3 0 -1 WITHSCORES
        GEORADIUSBYMEMBER Sicily Palermo 100 mi STORE d5
        ZRANGE d5 0 -1 WITHSCORES
        GEORADIUSBYMEMBER nokey Palermo 100 mi STORE d5
        EXISTS d5
        GEORADIUS Sicily 0 0 1 km STORE d1
        EXISTS d1
        GEORADIUS Sicily 15 37 200 km STORE d6 STORE d7
        EXISTS d6 d7
        DEBUG DIGEST
        "#,
    );
}

/// Random points near the antimeridian, the poles' limits, the equator and the prime
/// meridian, searched with radii and boxes of every scale, sorted and unsorted (the
/// unsorted order is the cell scan order and must match too).
#[test]
fn searches_over_random_points_match_redis() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut rng = Lcg(42);
    let mut script = String::new();
    let regions: &[(f64, f64, f64, f64)] = &[
        (175.0, 180.0, -10.0, 10.0),
        (-180.0, -175.0, -10.0, 10.0),
        (-180.0, 180.0, 80.0, 85.05112878),
        (-180.0, 180.0, -85.05112878, -80.0),
        (-5.0, 5.0, -5.0, 5.0),
        (-180.0, 180.0, -85.0, 85.0),
    ];
    for (set, &(lo_lon, hi_lon, lo_lat, hi_lat)) in regions.iter().enumerate() {
        // Both encodings: a small set stays listpack, a large one is a skiplist.
        for (suffix, n) in [("small", 60), ("big", 400)] {
            let key = format!("pts{set}{suffix}");
            let mut line = format!("GEOADD {key}");
            for i in 0..n {
                line.push_str(&format!(" {:.6} {:.6} m{i}", rng.range(lo_lon, hi_lon), rng.range(lo_lat, hi_lat)));
            }
            script.push_str(&line);
            script.push('\n');
            script.push_str(&format!("OBJECT ENCODING {key}\n"));
            for q in 0..12 {
                let lon = rng.range(lo_lon, hi_lon);
                let lat = rng.range(lo_lat, hi_lat);
                let r = [1.0, 50.0, 300.0, 1500.0, 6000.0, 20000.0][q % 6];
                let order = ["", "ASC", "DESC"][q % 3];
                script.push_str(&format!("GEOSEARCH {key} FROMLONLAT {lon:.6} {lat:.6} BYRADIUS {r} km {order} WITHDIST WITHHASH WITHCOORD\n"));
                script.push_str(&format!("GEOSEARCH {key} FROMLONLAT {lon:.6} {lat:.6} BYBOX {} {r} km {order} WITHDIST\n", r * 1.7));
                script.push_str(&format!("GEOSEARCH {key} FROMMEMBER m{} BYRADIUS {r} mi COUNT 5 {order}\n", q * 3));
                script.push_str(&format!("GEOSEARCH {key} FROMMEMBER m{} BYBOX {r} {r} km COUNT 7 ANY {order}\n", q * 2));
                script.push_str(&format!("GEORADIUS {key} {lon:.6} {lat:.6} {r} km COUNT 3 ANY\n"));
                script.push_str(&format!("GEORADIUSBYMEMBER_RO {key} m{q} {r} ft WITHDIST\n"));
                script.push_str(&format!("GEOSEARCHSTORE st{set}{suffix}{q} {key} FROMLONLAT {lon:.6} {lat:.6} BYRADIUS {r} km STOREDIST\n"));
                script.push_str(&format!("ZRANGE st{set}{suffix}{q} 0 -1 WITHSCORES\n"));
                script.push_str(&format!("GEORADIUS {key} {lon:.6} {lat:.6} {r} km STORE sr{set}{suffix}{q}\n"));
                script.push_str(&format!("ZRANGE sr{set}{suffix}{q} 0 -1 WITHSCORES\n"));
                script.push_str(&format!("GEODIST {key} m{q} m{} km\n", q + 1));
            }
            script.push_str(&format!("GEOHASH {key} m0 m1 m2 m3 m4 m5\nGEOPOS {key} m0 m1 m2 m3 m4 m5\n"));
        }
    }
    script.push_str("DEBUG DIGEST\n");
    pair.check(&script);
}

/// Points at equal distances: full sorts keep scan order (glibc's merge sort), COUNT
/// windows follow Redis's partial quicksort.
#[test]
fn equal_distances_order_as_redis() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut script = String::from("GEOADD same");
    for i in 0..90 {
        let (lon, lat) = [(10.0, 10.0), (10.01, 10.0), (10.0, 10.01), (9.99, 10.0)][i % 4];
        script.push_str(&format!(" {lon} {lat} p{i}"));
    }
    script.push('\n');
    for q in ["ASC", "DESC", "COUNT 10", "COUNT 10 DESC", "COUNT 45 ASC", "COUNT 3 ANY", "COUNT 50 ANY DESC", ""] {
        script.push_str(&format!("GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 5 km {q} WITHDIST\n"));
        script.push_str(&format!("GEORADIUS same 10 10 5 km {q}\n"));
        script.push_str(&format!("GEOSEARCHSTORE dst same FROMLONLAT 10 10 BYBOX 5 5 km {q} STOREDIST\nZRANGE dst 0 -1 WITHSCORES\n"));
    }
    pair.check(&script);
}
