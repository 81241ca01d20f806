#pragma once
// The status page's words in English and Swedish, and which of them a browser
// asks for (Accept-Language). Only the page's own words are translated; what
// the policy, the devices and the alerts say is shown as they say it.

#include <string>

namespace portvakt::api {

enum class Language { kEnglish, kSwedish };

// The first of English or Swedish the header prefers (by q-value, then by
// order); English when it names neither.
Language chooseLanguage(const std::string& acceptLanguage);

struct PageText {
  const char* lang;  // the <html lang> value
  const char* title;
  const char* navOverview;
  const char* navDevices;
  const char* navGraph;
  const char* signedInAs;
  const char* policy;
  const char* name;
  const char* version;
  const char* hash;
  const char* mode;
  const char* installed;
  const char* by;
  const char* uptime;
  const char* forwarding;
  const char* yes;
  const char* no;
  const char* ports;
  const char* interface;
  const char* role;
  const char* zones;
  const char* authentication;
  const char* link;
  const char* up;
  const char* down;
  const char* missing;
  const char* framesIn;
  const char* framesOut;
  const char* dropped;
  const char* errors;
  const char* macs;
  const char* openAlerts;
  const char* noAlerts;
  const char* moreAlerts;  // followed by the number shown
  const char* firstSeen;
  const char* lastSeen;
  const char* severity;
  const char* event;
  const char* port;
  const char* device;
  const char* count;
  const char* details;
  const char* ack;
  const char* devicesByZone;
  const char* noDevices;
  const char* mac;
  const char* deviceClass;
  const char* identity;
  const char* hostName;
  const char* evidence;
  const char* remembered;
  const char* pinned;
  const char* inventoried;
  const char* spoofSuspect;
  const char* noZone;
  const char* graph;
  const char* graphAlt;
  const char* graphMissing;
  const char* notAllowed;
  const char* back;
  const char* ackFailed;
  const char* unavailable;
};

const PageText& pageText(Language language);

}  // namespace portvakt::api
