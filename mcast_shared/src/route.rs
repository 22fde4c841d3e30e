//! Server: whether the copies of one datagram may take the route cached for
//! each member, or must each be routed by a full lookup, and when a looked-up
//! route replaces the one a member's slot holds.
//!
//! A copy is routed as `ip_route_me_harder` routes it (net/ipv4/netfilter.c):
//! by its destination, the member, and by what it inherits from the datagram
//! (source address, mark, the VRF of the original's route, its ports when
//! fib rules match on them) and by the host's IPsec policies. A cached route
//! is kept per member for one source address, so it stands for a lookup
//! only when nothing else can change the answer; the glue checks the route
//! itself (its generation, its device) before each use. Some changes leave
//! no trace in a route (a neighbour's state, a resilient nexthop group's
//! buckets, the multipath hash settings, an expired redirect), so a cached
//! route also serves only for `route_refresh_ms` after its lookup: each
//! member's route is looked up again at least that often. Everything here
//! is decided once per datagram, not per copy. docs/route-cache-design.md
//! has the reasoning against the 6.12 sources.

use super::abi::route_type;

/// How long a cached route serves at most, in milliseconds, by default
/// (module parameter `route_refresh_ms`; 0 turns the cache off).
pub const DEFAULT_REFRESH_MS: u32 = 1000;
/// The shortest `route_refresh_ms` taken: a lookup per member every 100 ms
/// at most (each replaced route also costs a grace-period callback).
pub const MIN_REFRESH_MS: u32 = 100;
/// The longest `route_refresh_ms` taken (an hour).
pub const MAX_REFRESH_MS: u32 = 3_600_000;

/// What routing may depend on beyond a copy's destination, read once per
/// datagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteInputs {
    /// The datagram's source address (as the header holds it).
    pub saddr: u32,
    /// `inet_addr_type_dev_table`'s answer for that source (`RTN_*`).
    pub source_type: u32,
    /// `skb->mark`: fib rules and `ip rule fwmark` route by it.
    pub mark: u32,
    /// The VRF (l3mdev) index of the original's route device, 0 if none.
    pub vrf: i32,
    /// Fib rules match on ports or protocol (`fib_rules_require_fldissect`).
    pub routes_by_ports: bool,
    /// Multipath routes skip next hops by their neighbour's state
    /// (`fib_multipath_use_neigh`), which no route records.
    pub multipath_by_neighbour: bool,
    /// IPsec output policies (or a default that is not accept) exist.
    pub ipsec_on_output: bool,
    /// The time now (any monotonic millisecond clock).
    pub now_ms: u64,
    /// How long a route serves after its lookup, in milliseconds
    /// (`route_refresh_ms`): 0, no cache.
    pub refresh_ms: u32,
}

/// What a member's cached route was looked up for, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The copies' source address.
    pub saddr: u32,
    /// The time of the lookup (milliseconds, wrapping).
    pub at_ms: u32,
}

/// A datagram's use of its members' cached routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheUse {
    /// The datagram's source address.
    pub saddr: u32,
    /// The time now (milliseconds, wrapping).
    pub now_ms: u32,
    /// How long a route serves after its lookup (milliseconds).
    pub refresh_ms: u32,
}

impl CacheUse {
    /// Whether a route cached with `held` stands for a lookup now (the glue
    /// then checks the route itself).
    pub fn serves(&self, held: Stamp) -> bool {
        held.saddr == self.saddr && self.fresh(held)
    }

    /// Whether a route just looked up replaces what a member's slot holds
    /// (`held`: the stamp of its route, `None` when it has none): yes for
    /// an empty slot, a route past its time, or one for the same source
    /// (which was found stale, or there would have been no lookup); no for
    /// another source's route still in its time. Two senders of one group
    /// on different addresses would otherwise replace each other's route at
    /// every copy: the first one's copies keep the cache, the other's look
    /// up, until the route's time is up.
    pub fn replaces(&self, held: Option<Stamp>) -> bool {
        held.is_none_or(|held| held.saddr == self.saddr || !self.fresh(held))
    }

    /// The stamp of a route looked up now.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            saddr: self.saddr,
            at_ms: self.now_ms,
        }
    }

    // (A slot untouched for 49.7 days, the u32 clock's wrap, may look fresh
    // again for one refresh time; its route must still pass the glue's check.)
    fn fresh(&self, held: Stamp) -> bool {
        self.now_ms.wrapping_sub(held.at_ms) < self.refresh_ms
    }
}

/// How a datagram's copies find their routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyRouting {
    /// Each member's cached route, where [`CacheUse::serves`].
    Cached(CacheUse),
    /// A full lookup per copy: something a cache keyed by member and
    /// source address cannot see may change the route.
    Lookup,
}

/// Decides [`CopyRouting`] for one datagram.
pub fn copy_routing(inputs: &RouteInputs) -> CopyRouting {
    // ip_route_me_harder looks up with the source address only for a
    // local or unicast source (FLOWI_FLAG_ANYSRC); any other is routed
    // with none, a case rare enough not to cache.
    let keyed_by_source = matches!(inputs.source_type, route_type::LOCAL | route_type::UNICAST);
    if inputs.refresh_ms > 0
        && keyed_by_source
        && inputs.mark == 0
        && inputs.vrf == 0
        && !inputs.routes_by_ports
        && !inputs.multipath_by_neighbour
        && !inputs.ipsec_on_output
    {
        CopyRouting::Cached(CacheUse {
            saddr: inputs.saddr,
            now_ms: inputs.now_ms as u32,
            refresh_ms: inputs.refresh_ms.clamp(MIN_REFRESH_MS, MAX_REFRESH_MS),
        })
    } else {
        CopyRouting::Lookup
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> RouteInputs {
        RouteInputs {
            saddr: 0x0a00_0001,
            source_type: route_type::LOCAL,
            now_ms: 5_500,
            refresh_ms: DEFAULT_REFRESH_MS,
            ..RouteInputs::default()
        }
    }

    fn cached(saddr: u32, now_ms: u32, refresh_ms: u32) -> CopyRouting {
        CopyRouting::Cached(CacheUse {
            saddr,
            now_ms,
            refresh_ms,
        })
    }

    #[test]
    fn a_plain_datagram_takes_cached_routes_within_the_refresh_time() {
        assert_eq!(copy_routing(&plain()), cached(0x0a00_0001, 5_500, 1000));
        let unicast = RouteInputs {
            source_type: route_type::UNICAST,
            ..plain()
        };
        assert_eq!(copy_routing(&unicast), cached(0x0a00_0001, 5_500, 1000));
        let too_short = RouteInputs {
            refresh_ms: 1,
            ..plain()
        };
        assert_eq!(
            copy_routing(&too_short),
            cached(0x0a00_0001, 5_500, MIN_REFRESH_MS)
        );
        let too_long = RouteInputs {
            refresh_ms: u32::MAX,
            now_ms: u64::from(u32::MAX) + 7,
            ..plain()
        };
        assert_eq!(
            copy_routing(&too_long),
            cached(0x0a00_0001, 6, MAX_REFRESH_MS)
        );
    }

    #[test]
    fn a_route_serves_its_source_for_the_refresh_time_after_its_lookup() {
        let at = |now_ms| CacheUse {
            saddr: 1,
            now_ms,
            refresh_ms: 1000,
        };
        let held = at(5_500).stamp();
        assert!(at(5_500).serves(held));
        assert!(at(6_499).serves(held), "999 ms after the lookup");
        assert!(!at(6_500).serves(held), "1000 ms after it");
        assert!(
            !CacheUse {
                saddr: 2,
                ..at(5_600)
            }
            .serves(held),
            "another source"
        );
        let before_wrap = at(u32::MAX - 100).stamp();
        assert!(at(400).serves(before_wrap), "across the clock's wrap");
        assert!(!at(1_000).serves(before_wrap));
    }

    #[test]
    fn anything_the_cache_cannot_key_on_means_a_lookup_per_copy() {
        let cases = [
            RouteInputs { mark: 7, ..plain() },
            RouteInputs { vrf: 3, ..plain() },
            // route_refresh_ms=0: the cache off
            RouteInputs {
                refresh_ms: 0,
                ..plain()
            },
            RouteInputs {
                routes_by_ports: true,
                ..plain()
            },
            RouteInputs {
                multipath_by_neighbour: true,
                ..plain()
            },
            RouteInputs {
                ipsec_on_output: true,
                ..plain()
            },
            // RTN_MULTICAST, RTN_BROADCAST, RTN_UNSPEC sources
            RouteInputs {
                source_type: 5,
                ..plain()
            },
            RouteInputs {
                source_type: 3,
                ..plain()
            },
            RouteInputs {
                source_type: 0,
                ..plain()
            },
        ];
        for inputs in cases {
            assert_eq!(copy_routing(&inputs), CopyRouting::Lookup, "{inputs:?}");
        }
    }

    #[test]
    fn a_looked_up_route_replaces_only_what_is_not_another_sources_route_in_its_time() {
        let now = CacheUse {
            saddr: 1,
            now_ms: 9_000,
            refresh_ms: 1000,
        };
        let stamp = |saddr, at_ms| Some(Stamp { saddr, at_ms });
        assert!(now.replaces(None), "an empty slot");
        assert!(
            now.replaces(stamp(1, 8_900)),
            "the same source's (found stale)"
        );
        assert!(
            now.replaces(stamp(1, 7_000)),
            "the same source's, past its time"
        );
        assert!(
            now.replaces(stamp(2, 8_000)),
            "another source's, past its time"
        );
        assert!(
            !now.replaces(stamp(2, 8_500)),
            "another source's route in its time stays"
        );
    }
}
