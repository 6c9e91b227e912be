rmap_test(race mail_race_linux_3_14 mail_race_linux_3_15 move_before_split_is_fine fork_race_stable_tree fork_race_copy_first_stable_tree fork_race_tree_left)
rmap_test(random sound_protocol_never_bugs every_protocol_keeps_structure random_switches_keep_structure)
rmap_test(ops fault_maps_thp_and_small_pages fork_shares_pages_and_links_chains
  fork_copies_migration_entries mremap_moves_huge_pmd_to_new_vma
  mremap_unaligned_splits_and_moves_ptes mremap_back_merges_into_prev
  mremap_over_a_mapping_unmaps_it_first munmap_zaps_unlinks_and_frees
  munmap_last_mapping_frees_family munmap_inside_thp_splits_it split_huge_page_in_two_mms
  migrate_moves_every_mapping migrate_thp_splits_then_moves_head fault_waits_for_migration)
rmap_test(vma merge_after_prev merge_before_next merge_both_removes_next
  merge_both_imports_anon_vma no_merge_without_linear_pgoff no_merge_with_forked_vma
  split_keeps_pgoff_linear rekey_moves_behind_equal_starts walk_visits_only_covering_vmas)
rmap_test(sched freed_anon_vma_is_reported lock_blocks_until_released readers_share_anon_vma_lock drain_order_is_fixed
  same_script_same_trace deadlock_is_a_model_bug lock_order_is_enforced halted_world_tears_down
  bounds_refuse_cleanly)
rmap_test(check sample_is_sound catches_mapcount catches_range_change_while_indexed
  catches_refcount catches_lock_left_held catches_unreachable_entry catches_overlapping_vmas)
rmap_test(interval_tree brute_force_after brute_force_before augmentation_after_rotations check_catches_corruption empty_and_single)
rmap_test(fuzz decoder_totality same_input_same_trace oracle_fires_on_mail_race
  oracle_fires_on_fork_race_tree_left oracle_fires_on_stale_migration_entry
  oracle_fires_on_missed_vma oracle_reports_structure operands_decode_on_grid_and_vmas
  features_in_range_and_repeatable step_features_tell_contention)
# The tools' command-line contract, and the seed corpus replayed clean.
add_test(NAME cli.contract COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.contract PROPERTIES ENVIRONMENT "${TEST_ENV}")
rmap_test(protocols linux_3_14_split_race list_3_0_races list_3_3_moves_merged_vma_to_tail
  peek_migration_pte_race peek_split_pmd_race split_during_zap_bug tree_left_fork_race unlink_first_misses_vma
  retry_only_migration_race templist_races retry_walk_mail_scenario
  retry_without_progress_is_a_soft_lockup)
rmap_test(protocol_spec every_row_round_trips random_draws_round_trip spellings_name_one_protocol
  bad_specs_say_why switches_cover_the_struct normalize_drops_what_does_nothing)
rmap_test(scenario bytes_round_trip text_round_trip errors_name_line_and_column parser_is_total
  minimize_keeps_the_signature)
add_test(NAME crashers.replay COMMAND bash ${CMAKE_SOURCE_DIR}/tests/crashers_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(crashers.replay PROPERTIES ENVIRONMENT "${TEST_ENV}")
rmap_test(mutator stays_in_bounds crossover_splices_records young_campaign_starts_races
  grown_forks_name_the_newest_mm scratch_races_find_a_bug moves_a_part_back_home)
target_sources(test_mutator PRIVATE ${CMAKE_SOURCE_DIR}/fuzz/mutator.c)
rmap_test(arena alloc_is_zeroed_aligned_and_counted reset_reuses_memory_zeroed
  big_objects_get_their_own_chunk freed_memory_is_poisoned world_reset_is_a_fresh_world
  head_allocs_and_mem_zero)
rmap_test(report stale_migration_entry_outlives_its_anon_vma mail_race_names_the_move fork_races_name_the_copy unlink_first_names_the_munmap
  peeks_name_what_they_fell_into structural_says_sides_unknown locks_named_by_object
  every_step_numbered_once moves_back_and_down_name_the_mover)
# Every crasher's report against its golden one (tools/update-golden.sh).
add_test(NAME crashers.golden_reports COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(crashers.golden_reports PROPERTIES ENVIRONMENT "${TEST_ENV}")
# build.sh and tools/*.sh (tests/tools_lib.sh holds what their tests share);
# the slow ones are labelled slow: ctest -LE slow leaves them out.
add_test(NAME tools.keep_crash COMMAND bash ${CMAKE_SOURCE_DIR}/tests/keep_crash_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.keep_crash PROPERTIES LABELS slow ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
add_test(NAME tools.fuzz_campaign COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fuzz_campaign_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
# Its 2 s bound to stop holds with the cores to itself.
add_test(NAME tools.fuzz_stop COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fuzz_stop_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.fuzz_campaign tools.fuzz_stop PROPERTIES LABELS slow ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
set_tests_properties(tools.fuzz_stop PROPERTIES RUN_SERIAL TRUE)
add_test(NAME tools.json COMMAND bash ${CMAKE_SOURCE_DIR}/tests/tools_json_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.json PROPERTIES LABELS slow ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
# bench.sh --random-protocols with tiny figures (a 2 s search).
add_test(NAME tools.bench_random COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench_random_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.bench_random PROPERTIES ENVIRONMENT "${TEST_ENV}" TIMEOUT 400)
# tools/explore-shards.sh on a bound split in 3 (seconds), and a stop.
add_test(NAME tools.explore_shards COMMAND bash ${CMAKE_SOURCE_DIR}/tests/explore_shards_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.explore_shards PROPERTIES ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
# The explorer's results kept in the tree: the README's rows are their shards' merge.
add_test(NAME results.explore COMMAND bash ${CMAKE_SOURCE_DIR}/tests/results_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(results.explore PROPERTIES ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
add_test(NAME tools.arguments COMMAND bash ${CMAKE_SOURCE_DIR}/tests/tools_args_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.arguments PROPERTIES ENVIRONMENT "${TEST_ENV}" TIMEOUT 300)
add_test(NAME tools.shellcheck COMMAND bash ${CMAKE_SOURCE_DIR}/tests/shellcheck_test.sh ${CMAKE_SOURCE_DIR})
# The documentation: links stay inside the repository, every option is on docs/commands.md.
add_test(NAME docs.links_and_options COMMAND bash ${CMAKE_SOURCE_DIR}/tests/docs_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(docs.links_and_options PROPERTIES ENVIRONMENT "${TEST_ENV}")
rmap_test(unmap madvise_zaps_but_keeps_vmas madvise_splits_a_partly_covered_thp
  madvise_runs_beside_a_fault exit_mmap_frees_the_mm exit_mmap_zaps_before_it_unlinks
  zap_races_a_peeking_split_under_every_protocol)
rmap_test(mprotect split_vma_when_nothing_merges case_4_next_grows_down
  case_4_splits_the_thp_it_cuts case_5_prev_grows_over_next case_6_removes_two_and_imports
  case_7_prev_absorbs_next case_8_area_absorbs_next_and_imports
  faulted_range_never_merges_into_unfaulted range_over_vmas_stops_at_a_hole
  rekey_reorders_the_tree_not_the_list rekey_and_migration_under_every_protocol
  read_only_makes_a_migration_entry_read
  change_huge_pmd_races_a_peeking_split_under_every_protocol
  vma_adjust_and_split_orders_under_every_protocol kirill_reproducer_shape_under_every_protocol every_case_under_every_protocol)
rmap_test(cow fork_write_protects_both_sides copy_makes_a_page_in_the_child_anon_vma
  reuse_moves_the_page_to_the_child_anon_vma thp_reuse_keeps_its_anon_vma
  thp_copy_makes_a_thp_in_the_child_anon_vma thp_fallback_maps_small_copies
  trylock_fails_under_migration_and_pins_the_page write_fault_waits_on_a_migration_entry
  cow_races_under_every_protocol fault_waits_for_a_cleared_huge_pmd steps_are_named_in_kernel_words
  mprotect_write_protects_and_denies)
rmap_test(exec exec_shifts_the_stack_down overlapping_shift_moves_up_from_the_bottom
  exec_needs_room_for_its_mm exec_holds_its_mm_to_the_end
  migration_races_the_shift_under_every_protocol skipped_page_stays_and_moves
  migration_at_any_point_of_the_shift_is_benign)
rmap_test(mremap_resize shrink_unmaps_the_tail grow_in_place_when_the_hole_fits
  grow_without_maymove_fails grow_by_moving_to_a_new_vma grow_by_moving_merges_with_a_neighbour
  failed_move_moves_back migration_races_the_move_back_under_every_protocol
  split_races_the_move_back_under_every_protocol)
rmap_test(tlb access_fills_and_hits huge_entry_covers_the_pmd zap_frees_after_the_flush
  exit_flushes_then_frees migration_frees_the_old_page cow_frees_the_old_page move_flushes_per_era
  races_under_every_protocol families_select_what_is_checked)
rmap_test(explore dedup_matches_enumeration_linux_3_14 dedup_reaches_enumerations_states dedup_reaches_enumerations_states_every_row dedup_matches_enumeration_linux_3_12
  dedup_matches_enumeration_retry
  dedup_matches_enumeration_linux_3_15 dedup_matches_enumeration_fork
  dedup_matches_enumeration_three_concurrent dedup_matches_enumeration_first_lock
  dedup_matches_enumeration_every_row_three_tasks dedup_matches_enumeration_every_row_setup
  small_bound_finds_3_14_keeps_3_15_clean shards_add_up stop_at_violation_is_the_first_levels_bound
  interrupt_keeps_the_levels_done merge_takes_parts_to_the_levels_all_searched merge_keeps_a_set_up_counterexample merge_says_not_minimized_per_counterexample
  dedup_matches_enumeration_late_walks
  ops_parse_and_print exec_in_the_menu_finds_no_stack_skip
  counterexamples_no_longer_than_the_crashers late_access_finds_move_normal_pmd
  object_layouts_tell_apart_what_whole_objects_do translation_is_a_symmetry
  interval_tree_shape_is_not_hashed step_clocks_hashed_as_answers dead_locals_not_hashed
  untried_merges_only_known_locks move_flush_locked_is_inert_without_accesses)
rmap_test(anon_vma refcounts_follow_the_kernel root_outlives_its_family
  degree_counts_vmas_and_children num_children_and_active_vmas_split_degree
  fork_reuses_an_anon_vma_left_with_one_child no_fork_reuses_within_three_mms no_reuse_before_3_19
  importer_copies_and_is_counted checks_catch_lifetime_and_counters
  double_reuse_found_by_the_fuzzer)
# The oracle's layout features against their brute-force reference
# (fuzz/oracle_reference.c), over the seeds, the crashers and bred inputs.
rmap_test(oracle_features fast_features_match_the_reference)
target_compile_definitions(test_explore PRIVATE RMAP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_compile_definitions(test_oracle_features PRIVATE RMAP_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
  RMAP_BINARY_DIR="${CMAKE_BINARY_DIR}")
add_dependencies(test_oracle_features seeds)
target_sources(test_oracle_features PRIVATE ${CMAKE_SOURCE_DIR}/fuzz/mutator.c)
