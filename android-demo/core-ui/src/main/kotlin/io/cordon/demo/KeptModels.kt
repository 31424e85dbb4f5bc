package io.cordon.demo

/**
 * The screens' state holders, kept for as long as the session: one per key (an
 * assignment). A Compose `remember` or a SwiftUI view's state lasts only as long as the
 * screen, so a tab switch or a rotation would drop the officer's unsaved edits, and the
 * next save of the form would start a second report.
 */
internal class KeptModels<K, M>(private val make: (K) -> M) {
    private val models = HashMap<K, M>()

    /** The holder kept for [key], made on first use. */
    @Synchronized
    fun get(key: K): M = models.getOrPut(key) { make(key) }

    /** A fresh holder for [key], kept from now on in place of the old one. */
    @Synchronized
    fun replace(key: K): M = make(key).also { models[key] = it }
}
