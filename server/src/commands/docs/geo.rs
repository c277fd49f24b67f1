//! COMMAND DOCS for the geo group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("geoadd", Doc {
        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        history: &[
            ("6.2.0", "Added the `CH`, `NX` and `XX` options."),
        ],
        args: &[
            key("key", 0),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
            ]).since("6.2.0").opt(),
            pure_token("change", "CH").since("6.2.0").opt(),
            block("longitude_latitude_member", &[
                double("longitude"),
                double("latitude"),
                string("member"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("geodist", Doc {
        summary: "Returns the distance between two members of a geospatial index",
        complexity: "O(log(N))",
        args: &[
            key("key", 0),
            string("member1"),
            string("member2"),
            oneof("unit", &[
                pure_token("m", "M"),
                pure_token("km", "KM"),
                pure_token("ft", "FT"),
                pure_token("mi", "MI"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("geohash", Doc {
        summary: "Returns members of a geospatial index as standard geohash strings",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("geopos", Doc {
        summary: "Returns longitude and latitude of members of a geospatial index",
        complexity: "O(N) where N is the number of members requested.",
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("georadius", Doc {
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
        history: &[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit", &[
                pure_token("m", "M"),
                pure_token("km", "KM"),
                pure_token("ft", "FT"),
                pure_token("mi", "MI"),
            ]),
            pure_token("withcoord", "WITHCOORD").opt(),
            pure_token("withdist", "WITHDIST").opt(),
            pure_token("withhash", "WITHHASH").opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").since("6.2.0").opt(),
            ]).opt(),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            key("key", 1).token("STORE").opt(),
            key("key", 2).token("STOREDIST").opt(),
        ],
    }),
    ("georadiusbymember", Doc {
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit", &[
                pure_token("m", "M"),
                pure_token("km", "KM"),
                pure_token("ft", "FT"),
                pure_token("mi", "MI"),
            ]),
            pure_token("withcoord", "WITHCOORD").opt(),
            pure_token("withdist", "WITHDIST").opt(),
            pure_token("withhash", "WITHHASH").opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").opt(),
            ]).opt(),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            key("key", 1).token("STORE").opt(),
            key("key", 2).token("STOREDIST").opt(),
        ],
    }),
    ("georadius_ro", Doc {
        summary: "A read-only variant for GEORADIUS",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` with the `BYRADIUS` argument",
        history: &[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
        ],
        args: &[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit", &[
                pure_token("m", "M"),
                pure_token("km", "KM"),
                pure_token("ft", "FT"),
                pure_token("mi", "MI"),
            ]),
            pure_token("withcoord", "WITHCOORD").opt(),
            pure_token("withdist", "WITHDIST").opt(),
            pure_token("withhash", "WITHHASH").opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").since("6.2.0").opt(),
            ]).opt(),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
        ],
    }),
    ("georadiusbymember_ro", Doc {
        summary: "A read-only variant for GEORADIUSBYMEMBER",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
        args: &[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit", &[
                pure_token("m", "M"),
                pure_token("km", "KM"),
                pure_token("ft", "FT"),
                pure_token("mi", "MI"),
            ]),
            pure_token("withcoord", "WITHCOORD").opt(),
            pure_token("withdist", "WITHDIST").opt(),
            pure_token("withhash", "WITHHASH").opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").opt(),
            ]).opt(),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("geosearch", Doc {
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            key("key", 0),
            oneof("from", &[
                string("member").token("FROMMEMBER"),
                block("longitude_latitude", &[
                    double("longitude"),
                    double("latitude"),
                ]).token("FROMLONLAT"),
            ]),
            oneof("by", &[
                block("circle", &[
                    double("radius").token("BYRADIUS"),
                    oneof("unit", &[
                        pure_token("m", "M"),
                        pure_token("km", "KM"),
                        pure_token("ft", "FT"),
                        pure_token("mi", "MI"),
                    ]),
                ]),
                block("box", &[
                    double("width").token("BYBOX"),
                    double("height"),
                    oneof("unit", &[
                        pure_token("m", "M"),
                        pure_token("km", "KM"),
                        pure_token("ft", "FT"),
                        pure_token("mi", "MI"),
                    ]),
                ]),
            ]),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").opt(),
            ]).opt(),
            pure_token("withcoord", "WITHCOORD").opt(),
            pure_token("withdist", "WITHDIST").opt(),
            pure_token("withhash", "WITHHASH").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("geosearchstore", Doc {
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            key("destination", 0),
            key("source", 1),
            oneof("from", &[
                string("member").token("FROMMEMBER"),
                block("longitude_latitude", &[
                    double("longitude"),
                    double("latitude"),
                ]).token("FROMLONLAT"),
            ]),
            oneof("by", &[
                block("circle", &[
                    double("radius").token("BYRADIUS"),
                    oneof("unit", &[
                        pure_token("m", "M"),
                        pure_token("km", "KM"),
                        pure_token("ft", "FT"),
                        pure_token("mi", "MI"),
                    ]),
                ]),
                block("box", &[
                    double("width").token("BYBOX"),
                    double("height"),
                    oneof("unit", &[
                        pure_token("m", "M"),
                        pure_token("km", "KM"),
                        pure_token("ft", "FT"),
                        pure_token("mi", "MI"),
                    ]),
                ]),
            ]),
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            block("count", &[
                integer("count").token("COUNT"),
                pure_token("any", "ANY").opt(),
            ]).opt(),
            pure_token("storedist", "STOREDIST").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
