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
//! route also serves only within one [`REFRESH_MS`] period: each member's
//! route is looked up again at least that often. Everything here is decided
//! once per datagram, not per copy. docs/route-cache-design.md has the
//! reasoning against the 6.12 sources.

use super::abi::route_type;

/// How long a cached route serves at most, in milliseconds, by default
/// (module parameter `route_refresh_ms`; 0 turns the cache off).
pub const DEFAULT_REFRESH_MS: u32 = 1000;
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
    /// The refresh period in milliseconds (`route_refresh_ms`): 0, no cache.
    pub refresh_ms: u32,
}

/// What a member's cached route was looked up for: the copies' source
/// address, in one refresh period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotKey {
    /// The source address.
    pub saddr: u32,
    /// The refresh period (`now_ms / refresh_ms`, wrapping).
    pub period: u32,
}

/// How a datagram's copies find their routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyRouting {
    /// Each member's cached route, if it was looked up for this key.
    Cached(SlotKey),
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
    let refresh_ms = inputs.refresh_ms.min(MAX_REFRESH_MS);
    if refresh_ms > 0
        && keyed_by_source
        && inputs.mark == 0
        && inputs.vrf == 0
        && !inputs.routes_by_ports
        && !inputs.multipath_by_neighbour
        && !inputs.ipsec_on_output
    {
        CopyRouting::Cached(SlotKey {
            saddr: inputs.saddr,
            period: (inputs.now_ms / u64::from(refresh_ms)) as u32,
        })
    } else {
        CopyRouting::Lookup
    }
}

/// Whether a route just looked up for `key` replaces what a member's slot
/// holds (`held`: the key of its route, `None` when it has none): yes for an
/// empty slot, a route of an earlier period, or one for the same source
/// (which was found stale, or there would have been no lookup); no for a
/// current route of another source. Two senders of one group on different
/// addresses would otherwise replace each other's route at every copy: the
/// first one's copies keep the cache for the period, the other's look up.
pub fn replaces(held: Option<SlotKey>, key: SlotKey) -> bool {
    held.is_none_or(|held| held.saddr == key.saddr || held.period != key.period)
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

    fn key(saddr: u32, period: u32) -> SlotKey {
        SlotKey { saddr, period }
    }

    #[test]
    fn a_plain_datagram_takes_cached_routes_for_its_source_and_period() {
        assert_eq!(
            copy_routing(&plain()),
            CopyRouting::Cached(key(0x0a00_0001, 5))
        );
        let unicast = RouteInputs {
            source_type: route_type::UNICAST,
            now_ms: 5_999,
            ..plain()
        };
        assert_eq!(
            copy_routing(&unicast),
            CopyRouting::Cached(key(0x0a00_0001, 5))
        );
        let next_period = RouteInputs {
            now_ms: 6_000,
            ..plain()
        };
        assert_eq!(
            copy_routing(&next_period),
            CopyRouting::Cached(key(0x0a00_0001, 6))
        );
        let minute = RouteInputs {
            refresh_ms: 60_000,
            now_ms: 119_999,
            ..plain()
        };
        assert_eq!(
            copy_routing(&minute),
            CopyRouting::Cached(key(0x0a00_0001, 1))
        );
        let beyond_an_hour = RouteInputs {
            refresh_ms: u32::MAX,
            now_ms: 7_200_000,
            ..plain()
        };
        assert_eq!(
            copy_routing(&beyond_an_hour),
            CopyRouting::Cached(key(0x0a00_0001, 2))
        );
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
    fn a_looked_up_route_replaces_only_what_is_not_another_sources_current_route() {
        let now = key(1, 9);
        assert!(replaces(None, now), "an empty slot");
        assert!(
            replaces(Some(key(1, 9)), now),
            "the same source's (found stale)"
        );
        assert!(
            replaces(Some(key(1, 8)), now),
            "the same source's, an earlier period"
        );
        assert!(
            replaces(Some(key(2, 8)), now),
            "another source's, an earlier period"
        );
        assert!(
            !replaces(Some(key(2, 9)), now),
            "another source's current route stays"
        );
    }
}
