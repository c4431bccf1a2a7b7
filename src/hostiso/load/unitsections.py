"""The section names systemd-networkd reads, per unit type.

They come from systemd-networkd's parsers (``network_load_one`` for
``.network``, each netdev kind's ``sections`` for ``.netdev``, and
``link_load_one`` for ``.link``), current and compatibility names alike, so
units written for older systemd (Container Linux) and newer pass.  networkd
skips a section it does not know, with only a log message: whatever the
section held (an ``Address=``) is silently missing on the machine.
"""

from __future__ import annotations

import difflib


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NETWORK_SECTIONS = _words("""
Match Link SR-IOV Network Address Neighbor IPv6AddressLabel RoutingPolicyRule Route NextHop
DHCP DHCPv4 DHCPv6 DHCPv6PrefixDelegation DHCPPrefixDelegation DHCPServer DHCPServerStaticLease
IPv6AcceptRA IPv6NDPProxyAddress Bridge BridgeFDB BridgeMDB BridgeVLAN IPv6SendRA
IPv6PrefixDelegation IPv6Prefix IPv6RoutePrefix IPv6PREF64Prefix LLDP CAN IPoIB QDisc
TrafficControlQueueingDiscipline BFIFO CAKE ControlledDelay DeficitRoundRobinScheduler
DeficitRoundRobinSchedulerClass EnhancedTransmissionSelection FairQueueing
FairQueueingControlledDelay FlowQueuePIE GenericRandomEarlyDetection HeavyHitterFilter
HierarchyTokenBucket HierarchyTokenBucketClass ClassfulMultiQueueing BandMultiQueueing
NetworkEmulator PFIFO PFIFOFast PFIFOHeadDrop PIE QuickFairQueueing QuickFairQueueingClass
StochasticFairBlue StochasticFairnessQueueing TokenBucketFilter TrivialLinkEqualizer
""")

NETDEV_SECTIONS = _words("""
Match NetDev Bridge VLAN MACVLAN MACVTAP IPVLAN IPVTAP VXLAN GENEVE BareUDP L2TP L2TPSession
MACsec MACsecReceiveChannel MACsecTransmitAssociation MACsecReceiveAssociation Tunnel
FooOverUDP Peer VXCAN Tun Tap WireGuard WireGuardPeer Bond Xfrm VRF BatmanAdvanced IPoIB
WLAN OVSBridge
""")

LINK_SECTIONS = _words("Match Link SR-IOV EnergyEfficientEthernet")

SECTIONS_BY_SUFFIX: dict[str, frozenset[str]] = {
    ".network": NETWORK_SECTIONS,
    ".netdev": NETDEV_SECTIONS,
    ".link": LINK_SECTIONS,
}


def closest_section(name: str, known: frozenset[str]) -> str | None:
    """The known section ``name`` is most likely a misspelling of, if any."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return close[0] if close else None
