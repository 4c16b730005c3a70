package dev.lanyard.broker;

import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;

/** Where the broker announces the changes it learns of: in the service, CDI events (see {@link BrokerBeans}). */
interface ChangeAnnouncer {

    void announce(SecretChanged change);

    void announce(ChangesMissed missed);
}
