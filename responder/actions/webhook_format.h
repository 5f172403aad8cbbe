// The JSON bodies notify.webhook posts: what an incoming webhook of Slack or Microsoft Teams
// accepts. Alert text is attacker-influenced: it is JSON-escaped by construction, cut to a
// bounded length, and for Slack its control characters (&, <, >) are escaped so an alert
// cannot ping @channel or forge a link.
#pragma once

#include <string>
#include <string_view>

#include "common/alert.h"

namespace riposte::actions {

enum class WebhookFormat {
  kSlack,        // {"text": ..., "blocks": [...]}: Slack incoming webhooks (and Mattermost)
  kTeams,        // an Adaptive Card in a "message": Teams Workflows / Power Automate webhooks
  kMessageCard,  // the legacy Office 365 connector MessageCard
};

struct WebhookMessage {
  std::string title;     // "riposte: Terminal shell in container"
  std::string text;      // the playbook's text, or the alert's output
  std::string playbook;
};

// The message for an alert: title from the rule, facts from its fields.
WebhookMessage webhook_message(const Alert& alert, std::string_view playbook,
                               std::string_view text);

std::string webhook_body(WebhookFormat format, const Alert& alert, const WebhookMessage& m);

}  // namespace riposte::actions
