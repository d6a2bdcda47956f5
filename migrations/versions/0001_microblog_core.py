"""The schema: people, notes, hashtags, follows, home timelines, notifications, incidents, alerts.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 20:43:10.414364

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=True),
    sa.Column('subcategory', sa.String(length=120), nullable=True),
    sa.Column('service', sa.String(length=120), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.Integer(), nullable=True),
    sa.Column('checklist', sa.Text(), nullable=True),
    sa.Column('default_tags', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_models')),
    sa.UniqueConstraint('name', name=op.f('uq_incident_models_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=30), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unread_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('responder', 'designer', 'researcher', 'manager', 'admin')", name=op.f('ck_users_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follower_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("target_type IN ('user', 'tag', 'incident', 'service')", name=op.f('ck_follows_target_known')),
    sa.ForeignKeyConstraint(['follower_id'], ['users.id'], name=op.f('fk_follows_follower_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('follower_id', 'target_type', 'target_id', name='uq_follows_target')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index('ix_follows_target', ['target_type', 'target_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('external_ref', sa.String(length=120), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('service', sa.String(length=120), nullable=True),
    sa.Column('category', sa.String(length=120), nullable=True),
    sa.Column('subcategory', sa.String(length=120), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('on_hold_reason', sa.Text(), nullable=True),
    sa.Column('assignment_group', sa.String(length=120), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('major_manager_id', sa.Integer(), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('workaround', sa.Text(), nullable=True),
    sa.Column('resolution_code', sa.String(length=80), nullable=True),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('reassignment_count', sa.Integer(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=True),
    sa.Column('made_sla', sa.Boolean(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('model_id', sa.Integer(), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('manual', 'alert', 'import')", name=op.f('ck_incidents_source_known')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled')", name=op.f('ck_incidents_status_known')),
    sa.CheckConstraint('impact BETWEEN 1 AND 3 AND urgency BETWEEN 1 AND 3', name=op.f('ck_incidents_scales')),
    sa.ForeignKeyConstraint(['major_manager_id'], ['users.id'], name=op.f('fk_incidents_major_manager_id_users')),
    sa.ForeignKeyConstraint(['model_id'], ['incident_models.id'], name=op.f('fk_incidents_model_id_incident_models')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_incidents_owner_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['incidents.id'], name=op.f('fk_incidents_parent_id_incidents')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_incidents_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_incidents_external_ref')),
    sa.UniqueConstraint('number', name=op.f('uq_incidents_number'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_parent', ['parent_id'], unique=False)
        batch_op.create_index('ix_incidents_registered', ['registered_at'], unique=False)
        batch_op.create_index('ix_incidents_service', ['service'], unique=False)
        batch_op.create_index('ix_incidents_status_priority', ['status', 'priority'], unique=False)

    op.create_table('alert_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=1000), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alert_groups_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_groups')),
    sa.UniqueConstraint('group_key', name=op.f('uq_alert_groups_group_key'))
    )
    op.create_table('incident_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_incident_events_actor_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index('ix_incident_events_timeline', ['incident_id', 'at', 'id'], unique=False)

    op.create_table('incident_members',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('commander', 'scribe', 'liaison', 'member')", name=op.f('ck_incident_members_role_known')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_members_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incident_members_user_id_users')),
    sa.PrimaryKeyConstraint('incident_id', 'user_id', name=op.f('pk_incident_members'))
    )
    with op.batch_alter_table('incident_members', schema=None) as batch_op:
        batch_op.create_index('ix_incident_members_user', ['user_id'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sort_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply_to_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retracted_by_id', sa.Integer(), nullable=True),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_notes_author_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_notes_incident_id_incidents')),
    sa.ForeignKeyConstraint(['reply_to_id'], ['notes.id'], name=op.f('fk_notes_reply_to_id_notes')),
    sa.ForeignKeyConstraint(['retracted_by_id'], ['users.id'], name=op.f('fk_notes_retracted_by_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['notes.id'], name=op.f('fk_notes_thread_id_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_author_sort', ['author_id', 'sort_at', 'id'], unique=False)
        batch_op.create_index('ix_notes_incident', ['incident_id', 'sort_at', 'id'], unique=False)
        batch_op.create_index('ix_notes_reply_to', ['reply_to_id'], unique=False)
        batch_op.create_index('ix_notes_sort', ['sort_at', 'id'], unique=False)
        batch_op.create_index('ix_notes_thread', ['thread_id', 'sort_at'], unique=False)

    op.create_table('alert_instances',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['alert_groups.id'], name=op.f('fk_alert_instances_group_id_alert_groups')),
    sa.PrimaryKeyConstraint('group_id', 'fingerprint', name=op.f('pk_alert_instances'))
    )
    op.create_table('hashtags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('display', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('canonical_id', sa.Integer(), nullable=True),
    sa.Column('aliased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('aliased_by_id', sa.Integer(), nullable=True),
    sa.Column('first_note_id', sa.Integer(), nullable=True),
    sa.Column('first_user_id', sa.Integer(), nullable=True),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.Column('note_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['aliased_by_id'], ['users.id'], name=op.f('fk_hashtags_aliased_by_id_users')),
    sa.ForeignKeyConstraint(['canonical_id'], ['hashtags.id'], name=op.f('fk_hashtags_canonical_id_hashtags')),
    sa.ForeignKeyConstraint(['first_note_id'], ['notes.id'], name=op.f('fk_hashtags_first_note_id_notes')),
    sa.ForeignKeyConstraint(['first_user_id'], ['users.id'], name=op.f('fk_hashtags_first_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hashtags')),
    sa.UniqueConstraint('key', name=op.f('uq_hashtags_key'))
    )
    with op.batch_alter_table('hashtags', schema=None) as batch_op:
        batch_op.create_index('ix_hashtags_canonical', ['canonical_id'], unique=False)
        batch_op.create_index('ix_hashtags_last_used', ['last_used_at'], unique=False)

    op.create_table('incident_refs',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_incident_refs_note_id_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'number', name=op.f('pk_incident_refs'))
    )
    with op.batch_alter_table('incident_refs', schema=None) as batch_op:
        batch_op.create_index('ix_incident_refs_number', ['number'], unique=False)

    op.create_table('mentions',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sort_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_mentions_note_id_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentions_user_id_users')),
    sa.PrimaryKeyConstraint('note_id', 'user_id', name=op.f('pk_mentions'))
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_feed', ['user_id', 'sort_at', 'note_id'], unique=False)

    op.create_table('note_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_versions_note_id_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_versions')),
    sa.UniqueConstraint('note_id', 'version', name='uq_note_versions_note_version')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_notifications_note_id_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'kind', 'note_id', name='uq_notifications_once')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_inbox', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('timeline_entries',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('sort_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_timeline_entries_note_id_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_timeline_entries_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'note_id', name=op.f('pk_timeline_entries'))
    )
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_entries_feed', ['user_id', 'sort_at', 'note_id'], unique=False)
        batch_op.create_index('ix_timeline_entries_note', ['note_id'], unique=False)

    op.create_table('note_tags',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('hashtag_id', sa.Integer(), nullable=False),
    sa.Column('sort_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hashtag_id'], ['hashtags.id'], name=op.f('fk_note_tags_hashtag_id_hashtags')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_tags_note_id_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['hashtags.id'], name=op.f('fk_note_tags_tag_id_hashtags')),
    sa.PrimaryKeyConstraint('note_id', 'tag_id', name=op.f('pk_note_tags'))
    )
    with op.batch_alter_table('note_tags', schema=None) as batch_op:
        batch_op.create_index('ix_note_tags_feed', ['tag_id', 'sort_at', 'note_id'], unique=False)
        batch_op.create_index('ix_note_tags_hashtag', ['hashtag_id'], unique=False)

    op.create_table('tag_authors',
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['hashtags.id'], name=op.f('fk_tag_authors_tag_id_hashtags')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tag_authors_user_id_users')),
    sa.PrimaryKeyConstraint('tag_id', 'user_id', name=op.f('pk_tag_authors'))
    )
    op.create_table('tag_spellings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hashtag_id', sa.Integer(), nullable=False),
    sa.Column('spelling', sa.String(length=200), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hashtag_id'], ['hashtags.id'], name=op.f('fk_tag_spellings_hashtag_id_hashtags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_spellings')),
    sa.UniqueConstraint('hashtag_id', 'spelling', name='uq_tag_spellings_tag')
    )


def downgrade():
    op.drop_table('tag_spellings')
    op.drop_table('tag_authors')
    with op.batch_alter_table('note_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_note_tags_hashtag')
        batch_op.drop_index('ix_note_tags_feed')

    op.drop_table('note_tags')
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_entries_note')
        batch_op.drop_index('ix_timeline_entries_feed')

    op.drop_table('timeline_entries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_inbox')

    op.drop_table('notifications')
    op.drop_table('note_versions')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_feed')

    op.drop_table('mentions')
    with op.batch_alter_table('incident_refs', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_refs_number')

    op.drop_table('incident_refs')
    with op.batch_alter_table('hashtags', schema=None) as batch_op:
        batch_op.drop_index('ix_hashtags_last_used')
        batch_op.drop_index('ix_hashtags_canonical')

    op.drop_table('hashtags')
    op.drop_table('alert_instances')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_thread')
        batch_op.drop_index('ix_notes_sort')
        batch_op.drop_index('ix_notes_reply_to')
        batch_op.drop_index('ix_notes_incident')
        batch_op.drop_index('ix_notes_author_sort')

    op.drop_table('notes')
    with op.batch_alter_table('incident_members', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_members_user')

    op.drop_table('incident_members')
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_events_timeline')

    op.drop_table('incident_events')
    op.drop_table('alert_groups')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_status_priority')
        batch_op.drop_index('ix_incidents_service')
        batch_op.drop_index('ix_incidents_registered')
        batch_op.drop_index('ix_incidents_parent')

    op.drop_table('incidents')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index('ix_follows_target')

    op.drop_table('follows')
    op.drop_table('users')
    op.drop_table('incident_models')
