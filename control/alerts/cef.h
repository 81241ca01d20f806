#pragma once
// ArcSight Common Event Format (CEF) for SIEMs that want it: one line
//
//   CEF:0|portvakt|portvakt|<version>|<event>|<name>|<severity 0-10>|<extension>
//
// Header fields escape '\' and '|' with a backslash (and may not hold a line
// break: CR and LF become spaces). Extension values escape '\' and '=' with a
// backslash and write CR and LF as the two characters \r and \n, so a line is
// always one line; other control characters become '?'. Pipes in the
// extension are not escaped (the format says they must not be).
//
// Our fields on CEF's standard keys:
//   rt, start    first occurrence, ms since the epoch    end   last occurrence
//   externalId   the stable alert id                     cnt   count
//   dvchost      the appliance's host name               deviceExternalId  the site
//   deviceInboundInterface  the port                     smac  the device's MAC
//   cn1/cn1Label=vlan       the VLAN                     msg   the summary line
//   cs1/cs1Label=evidence   "key=value key=value"        cs2/cs2Label=maintenance_window
// Empty fields are left out. Severity: info 3 (Low), warning 6 (Medium),
// critical 9 (Very-High).
//
// Pure functions, any thread.

#include <string>
#include <string_view>

#include "control/alerts/alert.h"
#include "control/version.h"

namespace portvakt::alerts {

// The product version in the CEF header (Device Version).
inline constexpr std::string_view kPortvaktVersion = kVersion;

struct CefFormat {
  std::string hostname;  // dvchost; empty or "-": left out
  std::string deviceVersion = std::string(kPortvaktVersion);
};

// The CEF line (no trailing newline).
std::string toCef(const Alert& a, const CefFormat& format);

// CEF over syslog: the RFC 5424 header of toRfc5424 (same PRI, time, host,
// app, procid, MSGID) with no structured data, and the CEF line as MSG.
std::string toSyslogCef(const Alert& a, const SyslogFormat& syslog, const CefFormat& cef);

int cefSeverity(tables::Severity s);
// "Rogue DHCP server" for rogue_dhcp; the event type itself for one we do not know.
std::string cefEventName(std::string_view event);
std::string cefEscapeHeader(std::string_view v);
std::string cefEscapeValue(std::string_view v);

}  // namespace portvakt::alerts
