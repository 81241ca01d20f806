#include "control/api/page_text.h"

#include <cctype>
#include <cstdlib>

namespace portvakt::api {

namespace {

constexpr PageText kEnglish = {"en",
                               "portvakt status",
                               "Overview",
                               "Devices",
                               "Segmentation",
                               "Signed in as",
                               "Running policy",
                               "Name",
                               "Version",
                               "Hash of the tables",
                               "Mode",
                               "Installed",
                               "by",
                               "Daemon up for",
                               "Forwarding",
                               "yes",
                               "no",
                               "Ports",
                               "Interface",
                               "Role",
                               "Zones",
                               "Authentication",
                               "Link",
                               "up",
                               "down",
                               "missing",
                               "Frames in",
                               "Frames out",
                               "Dropped",
                               "Errors",
                               "MACs",
                               "Open alerts",
                               "No open alerts.",
                               "Showing the newest open alerts only:",
                               "First seen",
                               "Last seen",
                               "Severity",
                               "Event",
                               "Port",
                               "Device",
                               "Count",
                               "Details",
                               "Acknowledge",
                               "Devices by zone",
                               "No devices seen.",
                               "MAC",
                               "Class",
                               "802.1X identity",
                               "Host name",
                               "Evidence",
                               "remembered, not seen since the daemon started",
                               "pinned",
                               "inventoried",
                               "spoof suspect",
                               "(no zone)",
                               "Segmentation graph",
                               "Zones, ports, flows and invariants of the running policy",
                               "The graph needs Graphviz on the appliance:",
                               "Not allowed",
                               "Back to the overview",
                               "The alert was not acknowledged",
                               "not available"};

constexpr PageText kSwedish = {"sv",
                               "portvakt status",
                               "Översikt",
                               "Enheter",
                               "Segmentering",
                               "Inloggad som",
                               "Aktiv policy",
                               "Namn",
                               "Version",
                               "Tabellernas hash",
                               "Läge",
                               "Installerad",
                               "av",
                               "Demonen igång sedan",
                               "Vidarebefordrar",
                               "ja",
                               "nej",
                               "Portar",
                               "Gränssnitt",
                               "Roll",
                               "Zoner",
                               "Autentisering",
                               "Länk",
                               "uppe",
                               "nere",
                               "saknas",
                               "Ramar in",
                               "Ramar ut",
                               "Kastade",
                               "Fel",
                               "MAC-adresser",
                               "Öppna larm",
                               "Inga öppna larm.",
                               "Visar bara de senaste öppna larmen:",
                               "Först sett",
                               "Senast sett",
                               "Allvarlighet",
                               "Händelse",
                               "Port",
                               "Enhet",
                               "Antal",
                               "Detaljer",
                               "Kvittera",
                               "Enheter per zon",
                               "Inga enheter sedda.",
                               "MAC",
                               "Klass",
                               "802.1X-identitet",
                               "Värdnamn",
                               "Kännetecken",
                               "ihågkommen, inte sedd sedan demonen startade",
                               "fastlåst",
                               "inventerad",
                               "misstänkt förfalskad",
                               "(ingen zon)",
                               "Segmenteringsgraf",
                               "Zoner, portar, flöden och invarianter i den aktiva policyn",
                               "Grafen kräver Graphviz på apparaten:",
                               "Inte tillåtet",
                               "Tillbaka till översikten",
                               "Larmet kvitterades inte",
                               "inte tillgängligt"};

// "sv-SE;q=0.8" -> ("sv", 0.8); q defaults to 1.
double quality(const std::string& item) {
  const size_t q = item.find(";q=");
  if (q == std::string::npos) return 1.0;
  return std::strtod(item.c_str() + q + 3, nullptr);
}

}  // namespace

Language chooseLanguage(const std::string& acceptLanguage) {
  double best = 0.0;
  Language chosen = Language::kEnglish;
  size_t start = 0;
  while (start < acceptLanguage.size()) {
    size_t comma = acceptLanguage.find(',', start);
    if (comma == std::string::npos) comma = acceptLanguage.size();
    std::string item;
    for (size_t i = start; i < comma; ++i) {
      if (acceptLanguage[i] != ' ')
        item += static_cast<char>(std::tolower(static_cast<unsigned char>(acceptLanguage[i])));
    }
    start = comma + 1;
    const std::string tag = item.substr(0, item.find_first_of("-;"));
    if (tag != "sv" && tag != "en") continue;
    const double q = quality(item);
    if (q > best) {  // strictly better: among equals the first named wins
      best = q;
      chosen = tag == "sv" ? Language::kSwedish : Language::kEnglish;
    }
  }
  return chosen;
}

const PageText& pageText(Language language) { return language == Language::kSwedish ? kSwedish : kEnglish; }

}  // namespace portvakt::api
