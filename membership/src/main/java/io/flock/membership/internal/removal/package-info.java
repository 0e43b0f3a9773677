/** Internal to Flock's membership module: not an API, may change without notice. */
@NullMarked
package io.flock.membership.internal.removal;

import org.jspecify.annotations.NullMarked;
